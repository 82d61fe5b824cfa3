/**
 * Splits what the device writes into command lines and data-phase payloads. It never looks ahead:
 * the modem pulls one line at a time and only after executing it knows whether the next bytes are
 * raw data (`AT+MQTTPUB=...,<size>`) or the next command, exactly as a real modem must.
 */

const CR = 13;
const LF = 10;

export interface FramedLine {
  /** The line without its terminator (empty when the line was too long: see `overflow`). */
  bytes: Buffer;
  terminator: number;
  /** True when the line exceeded the maximum length and was discarded. */
  overflow: boolean;
}

export interface LineStep {
  /** Command-mode bytes consumed by this step, for echo. */
  consumed: Buffer;
  /** Set when a terminator was reached. */
  line?: FramedLine;
}

export class InputFramer {
  private pending: Buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];
  private partialLength = 0;
  private overflow = false;

  constructor(private readonly maxLineLength: number) {}

  push(bytes: Uint8Array): void {
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
  }

  available(): number {
    return this.pending.length;
  }

  /** Consumes bytes up to and including the next CR or LF; keeps a partial line for later. */
  readLine(): LineStep {
    let end = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const b = this.pending[i];
      if (b === CR || b === LF) {
        end = i;
        break;
      }
    }
    const upto = end < 0 ? this.pending.length : end + 1;
    const consumed = this.pending.subarray(0, upto);
    this.pending = this.pending.subarray(upto);
    const body = end < 0 ? consumed : consumed.subarray(0, consumed.length - 1);
    this.appendPartial(body);
    if (end < 0) return { consumed };
    const line: FramedLine = {
      bytes: this.overflow ? Buffer.alloc(0) : Buffer.concat(this.partial),
      terminator: consumed[consumed.length - 1]!,
      overflow: this.overflow,
    };
    this.partial = [];
    this.partialLength = 0;
    this.overflow = false;
    return { consumed, line };
  }

  /** Consumes up to `max` raw bytes (data phase: every byte value is payload). */
  readData(max: number): Buffer {
    const take = Math.min(max, this.pending.length);
    const out = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    return out;
  }

  /** Drops everything buffered (modem reset). */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.partial = [];
    this.partialLength = 0;
    this.overflow = false;
  }

  private appendPartial(bytes: Buffer): void {
    if (bytes.length === 0 || this.overflow) return;
    if (this.partialLength + bytes.length > this.maxLineLength) {
      this.overflow = true;
      this.partial = [];
      this.partialLength = 0;
      return;
    }
    this.partial.push(Buffer.from(bytes));
    this.partialLength += bytes.length;
  }
}
