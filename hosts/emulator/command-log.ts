/**
 * What the device wrote, exactly. End-to-end tests read it to prove that hostile topics or payloads
 * never smuggled an extra command onto the wire, so lines and data-phase payloads are kept apart:
 * payload bytes must never be mistaken for command lines.
 */
import { toText } from "./bytes.ts";
import { redactSecrets } from "./redact.ts";

export type LineKind =
  /** A command line the modem executed (or rejected with ERROR). */
  | "command"
  /** A side-channel `AT#...` line (test control, not part of the modem's dialect). */
  | "control"
  /** Received while the modem was booting or silenced: dropped unexecuted. */
  | "ignored";

export interface LoggedLine {
  seq: number;
  /** Milliseconds since the modem was created. */
  time: number;
  kind: LineKind;
  /** The line's bytes without its terminator. */
  bytes: Uint8Array;
  /** The same bytes as latin1 text, with the password of `AT+MQTTUSER` redacted (see redact.ts). */
  text: string;
  /** The byte that ended the line: 13 (CR) or 10 (LF). */
  terminator: number;
}

export interface LoggedPayload {
  seq: number;
  time: number;
  clientId: number;
  command: "MQTTPUB";
  bytes: Uint8Array;
  /** Bytes of this payload that arrived before the `>` prompt had been written out. */
  earlyBytes: number;
}

export class CommandLog {
  readonly lines: LoggedLine[] = [];
  readonly payloads: LoggedPayload[] = [];
  private seq = 0;
  private readonly t0: number;

  constructor(
    private readonly clock: { now(): number },
    private readonly onLine: (entry: LoggedLine) => void = () => {},
    private readonly onPayload: (entry: LoggedPayload) => void = () => {},
  ) {
    this.t0 = clock.now();
  }

  addLine(kind: LineKind, bytes: Uint8Array, terminator: number): LoggedLine {
    const entry: LoggedLine = {
      seq: this.seq++,
      time: this.now(),
      kind,
      bytes: Uint8Array.from(bytes),
      text: redactSecrets(toText(bytes)),
      terminator,
    };
    this.lines.push(entry);
    this.onLine(entry);
    return entry;
  }

  addPayload(clientId: number, command: LoggedPayload["command"], bytes: Uint8Array, earlyBytes: number): LoggedPayload {
    const entry: LoggedPayload = {
      seq: this.seq++,
      time: this.now(),
      clientId,
      command,
      bytes: Uint8Array.from(bytes),
      earlyBytes,
    };
    this.payloads.push(entry);
    this.onPayload(entry);
    return entry;
  }

  /** The text of every executed command line, in order. */
  commands(): string[] {
    return this.lines.filter((l) => l.kind === "command").map((l) => l.text);
  }

  clear(): void {
    this.lines.length = 0;
    this.payloads.length = 0;
  }

  private now(): number {
    return Math.round((this.clock.now() - this.t0) * 1000) / 1000;
  }
}
