/**
 * Fault injection: the names, their arguments, and the side-channel syntax. The same faults are
 * reachable from the API (`modem.inject({ name: "broker-drop", clientId: 1 })`), from the device
 * stream (`AT#FAULT=broker-drop,1`) and from the CLI's control port (`broker-drop 1`).
 */

export type Fault =
  /** The broker connection ends abruptly (socket destroyed): `+MQTTBREAK: id,1`. All ids when clientId is absent. */
  | { name: "broker-drop"; clientId?: 1 | 2 }
  /** Radio link lost: registration 0, data call down, `+MQTTBREAK: id,2`. */
  | { name: "radio-lost" }
  /** Network deregistration: registration 0, data call down, `+MQTTBREAK: id,3`. */
  | { name: "deregistered" }
  /** Registration back to 1 (the data call stays down: the device must dial again). */
  | { name: "restore" }
  /** Data call lost: `+MIPCALL: 0`, then `+MQTTBREAK: id,2` for open connections. */
  | { name: "mipcall-lost" }
  /** Modem reset: all MQTT state lost, echo on, `RDY` after rebootDelayMs. */
  | { name: "reboot" }
  /** No output at all and input ignored, for this many seconds. */
  | { name: "silence"; seconds: number }
  /** A burst of random non-line-end bytes, framed by CRLF. */
  | { name: "garbage"; bytes?: number }
  /** Output writes cut at random points into separate writes. */
  | { name: "split-writes"; on: boolean }
  /** Output paced at this baud rate; 0 returns to the configured rate. */
  | { name: "slow-line"; baud: number };

export type FaultName = Fault["name"];

export const FAULT_NAMES: readonly FaultName[] = [
  "broker-drop",
  "radio-lost",
  "deregistered",
  "restore",
  "mipcall-lost",
  "reboot",
  "silence",
  "garbage",
  "split-writes",
  "slow-line",
];

function num(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^\d+(\.\d+)?$/.test(arg)) return undefined;
  return Number(arg);
}

/**
 * Parses `AT#FAULT=name[,arg]` or `name [arg]`; names are case-insensitive and `_` equals `-`.
 * Returns null for anything else.
 */
export function parseFault(text: string): Fault | null {
  const trimmed = text.trim();
  const m = /^AT#FAULT=(.*)$/i.exec(trimmed);
  const parts = (m ? m[1]!.split(",") : trimmed.split(/\s+/)).map((p) => p.trim());
  const name = (parts[0] ?? "").toLowerCase().replace(/_/g, "-");
  const arg = parts[1];
  const n = num(arg);
  if (parts.length > 2 || (arg !== undefined && n === undefined && name !== "split-writes")) return null;
  switch (name) {
    case "broker-drop":
      if (n === undefined) return { name };
      return n === 1 || n === 2 ? { name, clientId: n } : null;
    case "radio-lost":
    case "deregistered":
    case "restore":
    case "mipcall-lost":
    case "reboot":
      return arg === undefined ? { name } : null;
    case "silence":
      return n === undefined ? null : { name, seconds: n };
    case "garbage":
      return n === undefined ? { name } : { name, bytes: n };
    case "split-writes": {
      const v = (arg ?? "on").toLowerCase();
      if (v === "on" || v === "1") return { name, on: true };
      if (v === "off" || v === "0") return { name, on: false };
      return null;
    }
    case "slow-line":
      return n === undefined ? null : { name, baud: n };
    default:
      return null;
  }
}
