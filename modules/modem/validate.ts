import { scanQuotable } from "cellmqtt/at/bytes";
import { CLIENT_IDS, QUOTED_PAYLOAD_MAX } from "./limits.ts";

/** A value refused before anything reached the wire: names the field and the allowed range. */
export class ValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }

  // Moddable freezes the built-ins: assigning `name` would throw (see MqttError).
  static {
    Object.defineProperty(this.prototype, "name", { value: "ValidationError", configurable: true, writable: true });
  }
}

const HASH = 0x23;
const PLUS_SIGN = 0x2b;

// `typeof x === "number"` evaluates a string literal, which allocates in XS; these are read instead.
const NUMBER = "number";
const STRING = "string";

export function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== NUMBER || !Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new ValidationError(field, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value as number;
}

/** A client id (`slot`): 1 or 2, and one the modem lists (`clientIds`, from its test forms). */
export function checkSlot(value: unknown, limits: { clientIds: readonly number[] }): number {
  const id = checkInteger("slot", value, 1, CLIENT_IDS);
  if (!limits.clientIds.includes(id)) throw new ValidationError("slot", `this modem offers client ids ${limits.clientIds.join(", ")} only (AT+MQTTUSER=?), got ${id}`);
  return id;
}

export function checkFlag(field: string, value: unknown): 0 | 1 {
  if (value === true || value === 1) return 1;
  if (value === false || value === 0) return 0;
  throw new ValidationError(field, `must be 0 or 1 (or a boolean), got ${String(value)}`);
}

/**
 * A string that goes inside quotes on the command line: `min`..`max` characters, each printable
 * ASCII other than `"`. A quote, CR, LF or Ctrl-Z would end the field or the command early and
 * let the rest run as a command of its own, so they are refused, not escaped (the dialect has no
 * escapes). Allocates nothing unless it throws.
 */
export function checkQuotable(field: string, value: unknown, min: number, max: number): string {
  if (typeof value !== "string") throw new ValidationError(field, `must be a string, got ${typeof value}`);
  return checkScan(field, value, scanQuotable(value), min, max);
}

/** A topic name (publish, will): quotable and free of the wildcards `+` and `#`. */
export function checkTopicName(field: string, value: unknown, min: number, max: number): string {
  if (typeof value !== STRING) throw new ValidationError(field, `must be a string, got ${typeof value}`);
  return checkScan(field, value as string, scanQuotable(value as string, PLUS_SIGN, HASH), min, max);
}

/** A topic filter (subscribe): `+` fills one whole level, `#` only the whole last one. */
export function checkTopicFilter(field: string, value: unknown, min: number, max: number): string {
  const topic = checkQuotable(field, value, min, max);
  const levels = topic.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) {
      throw new ValidationError(field, `"#" must be the whole last level, in "${topic}"`);
    }
    if (level.includes("+") && level !== "+") throw new ValidationError(field, `"+" must be a whole level, in "${topic}"`);
  }
  return topic;
}

function checkScan(field: string, value: string, scanned: number, min: number, max: number): string {
  if (scanned < 0) {
    const at = -1 - scanned;
    const c = value.charCodeAt(at);
    const why = c === 0x22 ? "a quote" : c === 0x23 || c === 0x2b ? "a wildcard" : "not printable ASCII";
    throw new ValidationError(field, `character ${at} (0x${c.toString(16).padStart(2, "0")}) is ${why}`);
  }
  if (scanned < min || scanned > max) throw new ValidationError(field, `length must be ${min} to ${max}, got ${scanned}`);
  return value;
}

/**
 * Bytes that go inside quotes on the command line (a will's payload: `AT+MQTTWILL` has no length
 * form): printable ASCII other than `"`, at most `max` of them.
 */
export function checkQuotableBytes(field: string, bytes: Uint8Array, max: number): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22) {
      const why = c === 0x22 ? "a quote" : "not printable ASCII";
      throw new ValidationError(field, `byte ${i} (0x${c.toString(16).padStart(2, "0")}) is ${why}: the modem takes a will only as a quoted string`);
    }
  }
  if (bytes.length > max) throw new ValidationError(field, `length must be 0 to ${max} bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * True if the bytes can go in the quoted form of a publish or will: printable ASCII without `"`,
 * and short enough for a command line (QUOTED_PAYLOAD_MAX). Allocates nothing.
 */
export function bytesQuotable(bytes: Uint8Array, offset: number, length: number): boolean {
  if (length > QUOTED_PAYLOAD_MAX) return false;
  for (let i = offset, end = offset + length; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22) return false;
  }
  return true;
}
