import { escapeBeyondAscii, escapeText } from "../terminal-text.ts";

/**
 * Log lines that are harmless in the normal course: a modem's start-up `OK` to an `AT` sent
 * before it was ready comes back matched to no command.
 */
const QUIET_PREFIXES = ["at: unmatched result"];

/**
 * What the host CLI prints: one human-readable line per event, or one JSON object per line.
 * Every text is escaped on the way out (topics, payloads and modem lines come from the network),
 * so nothing printed can move the cursor, retitle the terminal or start a line of its own.
 * Quiet lines (harmless notices) are shown only when verbose.
 */
export class Printer {
  constructor(
    private readonly json: boolean,
    private readonly verbose = false,
    private readonly write: (line: string) => void = (line) => console.log(line),
  ) {}

  /** `source` says who speaks: modem, mqtt, app, broker, operator, fault, host. */
  line(source: string, text: string, extra?: Record<string, unknown>): void {
    const time = new Date().toISOString();
    if (this.json) this.write(escapeBeyondAscii(JSON.stringify({ time, source, text, ...extra })));
    else this.write(`${time.slice(11, 23)} ${`[${source}]`.padEnd(9)} ${escapeText(text)}`);
  }

  /**
   * A line of the firmware's log, under the source it names (`app: `, `mqtt[1] `, else the
   * modem); notices that are harmless in the normal course are quiet.
   */
  log(line: string): void {
    if (line.startsWith("app: ")) this.line("app", line.slice(5));
    else if (QUIET_PREFIXES.some((p) => line.startsWith(p))) this.quiet("modem", line);
    else this.line(line.startsWith("mqtt[") ? "mqtt" : "modem", line);
  }

  /** A line worth seeing only when looking closely: printed with `--verbose`. */
  quiet(source: string, text: string): void {
    if (this.verbose) this.line(source, text, this.json ? { quiet: true } : undefined);
  }
}

/** A payload for a log line: text when printable, else hex. */
export function show(payload: Uint8Array): string {
  let printable = true;
  for (const b of payload) if (b < 0x20 || b > 0x7e) printable = false;
  const s = Buffer.from(payload).toString(printable ? "latin1" : "hex");
  return printable ? s : `0x${s}`;
}
