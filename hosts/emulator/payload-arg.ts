/**
 * The last argument of MQTTPUB: a quoted payload (printable ASCII, 0-1024 bytes) or a data size
 * (1-1024) that switches to the data phase: `>` with no line end, then exactly that many bytes on
 * the wire, read as the publishData option says (raw bytes, or two hex digits per byte).
 * MQTTWILL takes the quoted form only (manual 1.12).
 */
import type { Arg } from "./at-parse.ts";
import { isPrintable } from "./bytes.ts";
import type { ModemCore } from "./core.ts";
import { AtError } from "./errors.ts";

export const MAX_PAYLOAD = 1024;

export type PayloadSource = { kind: "quoted"; bytes: Buffer } | { kind: "length"; size: number };

/** A quoted payload: printable ASCII, 0-1024 bytes (MQTTPUB and MQTTWILL). */
export function quotedPayload(arg: Arg | undefined): Buffer {
  if (arg?.kind !== "str" || arg.bytes.length > MAX_PAYLOAD || !isPrintable(arg.bytes)) throw new AtError("syntax");
  return arg.bytes;
}

/** MQTTPUB's last argument, validated without consuming anything, so state checks can run before the prompt. */
export function payloadSource(arg: Arg | undefined): PayloadSource {
  if (arg?.kind === "int" && arg.value >= 1 && arg.value <= MAX_PAYLOAD) return { kind: "length", size: arg.value };
  return { kind: "quoted", bytes: quotedPayload(arg) };
}

/** Returns the payload, reading the data phase when needed; undefined if the data phase was abandoned. */
export async function readPayload(m: ModemCore, source: PayloadSource, clientId: number): Promise<Buffer | undefined> {
  if (source.kind === "quoted") return source.bytes;
  const data = await m.readData(source.size);
  if (!data) return undefined;
  m.log.addPayload(clientId, "MQTTPUB", data.bytes, data.earlyBytes);
  if (m.options.publishData === "raw") return data.bytes;
  return decodeHex(data.bytes);
}

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/** Two hex digits per byte; anything else (odd length, other characters) is refused. */
function decodeHex(wire: Buffer): Buffer {
  const text = wire.toString("latin1");
  if (!HEX.test(text)) throw new AtError("syntax");
  return Buffer.from(text, "hex");
}
