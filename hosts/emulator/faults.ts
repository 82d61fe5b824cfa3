/**
 * Fault injection: the names, their arguments, and the side-channel syntax. The same faults are
 * reachable from the API (`modem.inject({ name: "broker-drop", clientId: 1 })`), from the device
 * stream (`AT#FAULT=broker-drop,1`) and from the CLI's control port (`broker-drop 1`).
 */

export type Fault =
  /** The broker connection ends abruptly (socket destroyed): `+MQTTBREAK: id,1`. All ids when clientId is absent. */
  | { name: "broker-drop"; clientId?: 1 | 2 }
  /** The same, and the modem reports nothing at all: no `+MQTTBREAK`, no `+MQTTCLOSE`, no late status. */
  | { name: "broker-drop-silent"; clientId?: 1 | 2 }
  /** Radio link lost: registration 0, data call down, `+MQTTBREAK: id,2`. */
  | { name: "radio-lost" }
  /** Network deregistration: registration 0, data call down, `+MQTTBREAK: id,3`. */
  | { name: "deregistered" }
  /** Registration back to 1 (the data call stays down: the device must dial again). */
  | { name: "restore" }
  /** Data call lost: `+MIPCALL: 0`, then `+MQTTBREAK: id,2` for open connections. */
  | { name: "mipcall-lost" }
  /** Data call lost and every connection with it, without a single URC. */
  | { name: "mipcall-lost-silent" }
  /** Modem reset: all MQTT state lost, echo on, `RDY` after rebootDelayMs. */
  | { name: "reboot" }
  /** The same reset without `RDY`: the modem is back after rebootDelayMs and says nothing. */
  | { name: "reboot-silent" }
  /** No output at all and input ignored, for this many seconds. */
  | { name: "silence"; seconds: number }
  /**
   * For this many seconds input is buffered unread and output is held; then the held output goes
   * out at once and the buffered input is executed, so answers arrive after the device gave up.
   */
  | { name: "stall"; seconds: number }
  /** The next `count` (default 1) URCs of this kind (`+MQTTPUB`, `+MIPCALL`, `RDY`, ... or `any`) are never sent. */
  | { name: "lose-urc"; urc: string; count?: number }
  /** The next `count` (default 1) URCs of this kind are sent twice. */
  | { name: "dup-urc"; urc: string; count?: number }
  /** The next data-phase prompt `>` goes out this many ms late (input is taken as payload meanwhile). */
  | { name: "late-prompt"; ms: number }
  /** Switches the mqttNeedsDataCall behaviour: `AT+MQTT*` refused while the data call is down. */
  | { name: "mqtt-needs-data-call"; on: boolean }
  /**
   * A message of `bytes` (default 6000) printable bytes arrives for `clientId` (default: the
   * first open id with a subscription) on a topic of its subscriptions.
   */
  | { name: "oversized"; bytes?: number; clientId?: 1 | 2 }
  /** A burst of random non-line-end bytes, framed by CRLF. */
  | { name: "garbage"; bytes?: number }
  /** Output writes cut at random points into separate writes. */
  | { name: "split-writes"; on: boolean }
  /** Output paced at this baud rate; 0 returns to the configured rate. */
  | { name: "slow-line"; baud: number };

export type FaultName = Fault["name"];

export const FAULT_NAMES: readonly FaultName[] = [
  "broker-drop",
  "broker-drop-silent",
  "radio-lost",
  "deregistered",
  "restore",
  "mipcall-lost",
  "mipcall-lost-silent",
  "reboot",
  "reboot-silent",
  "silence",
  "stall",
  "lose-urc",
  "dup-urc",
  "late-prompt",
  "mqtt-needs-data-call",
  "oversized",
  "garbage",
  "split-writes",
  "slow-line",
];

function num(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^\d+(\.\d+)?$/.test(arg)) return undefined;
  return Number(arg);
}

function count(arg: string | undefined): number | undefined | null {
  if (arg === undefined) return undefined;
  const n = num(arg);
  return n !== undefined && Number.isInteger(n) && n >= 1 ? n : null;
}

function clientId(arg: string | undefined): 1 | 2 | undefined | null {
  if (arg === undefined) return undefined;
  return arg === "1" || arg === "2" ? (Number(arg) as 1 | 2) : null;
}

function onOff(arg: string | undefined): boolean | null {
  const v = (arg ?? "on").toLowerCase();
  if (v === "on" || v === "1") return true;
  if (v === "off" || v === "0") return false;
  return null;
}

/** `MQTTPUB`, `+mqttpub` -> `+MQTTPUB`; `RDY` and `any` stay as they are. */
export function urcKind(arg: string): string | null {
  const up = arg.toUpperCase();
  if (up === "ANY") return "any";
  if (up === "RDY") return up;
  const name = up.startsWith("+") ? up : `+${up}`;
  return /^\+[A-Z]+$/.test(name) ? name : null;
}

/**
 * Parses `AT#FAULT=name[,arg[,arg]]` or `name [arg [arg]]`; names are case-insensitive and `_`
 * equals `-`. Returns null for anything else.
 */
export function parseFault(text: string): Fault | null {
  const trimmed = text.trim();
  const m = /^AT#FAULT=(.*)$/i.exec(trimmed);
  const parts = (m ? m[1]!.split(",") : trimmed.split(/\s+/)).map((p) => p.trim());
  const name = (parts[0] ?? "").toLowerCase().replace(/_/g, "-");
  const [arg, arg2] = [parts[1], parts[2]];
  const n = num(arg);
  const none = arg === undefined;
  if (parts.length > 3) return null;
  if (arg2 !== undefined && !["lose-urc", "dup-urc", "oversized"].includes(name)) return null;
  switch (name) {
    case "broker-drop":
    case "broker-drop-silent": {
      const id = clientId(arg);
      if (id === null) return null;
      return id === undefined ? { name } : { name, clientId: id };
    }
    case "radio-lost":
    case "deregistered":
    case "restore":
    case "mipcall-lost":
    case "mipcall-lost-silent":
    case "reboot":
    case "reboot-silent":
      return none ? { name } : null;
    case "silence":
    case "stall":
      return n === undefined ? null : { name, seconds: n };
    case "late-prompt":
      return n === undefined ? null : { name, ms: n };
    case "lose-urc":
    case "dup-urc": {
      const urc = arg === undefined ? null : urcKind(arg);
      const c = count(arg2);
      if (urc === null || c === null) return null;
      return c === undefined ? { name, urc } : { name, urc, count: c };
    }
    case "oversized": {
      const bytes = count(arg);
      const id = clientId(arg2);
      if (bytes === null || id === null) return null;
      return { name, ...(bytes !== undefined ? { bytes } : {}), ...(id !== undefined ? { clientId: id } : {}) };
    }
    case "garbage":
      if (none) return { name };
      return n === undefined ? null : { name, bytes: n };
    case "split-writes":
    case "mqtt-needs-data-call": {
      const on = onOff(arg);
      return on === null ? null : { name, on };
    }
    case "slow-line":
      return n === undefined ? null : { name, baud: n };
    default:
      return null;
  }
}
