import { COMMA, CR, QUOTE, SPACE, TILDE, codeAt, scanQuotable } from "./bytes.ts";

/** The command did not fit the transmit region. */
export const FAILED_ROOM = 1;
/** A value had a byte that cannot be sent (see `quoted`). */
export const FAILED_BYTE = 2;

/**
 * Writes one command line into the transmit region, in place. Values that would break the
 * line's framing (a quote, CR, LF, Ctrl-Z or any non-printable byte inside a quoted field)
 * make the whole command fail instead of being sent: no input can inject a second command.
 */
export class CommandEncoder {
  /** Set when a value could not be encoded or the command did not fit; `send` then refuses. */
  failed = false;
  /** Why `failed` was set: FAILED_ROOM or FAILED_BYTE (numbers: a string literal allocates in XS). */
  failure = 0;
  pos = 0;
  limit = 0;
  lineEnd = -1;

  constructor(readonly bytes: Uint8Array) {}

  /** Starts a command at `pos`, writable up to `limit`. Used by the channel. */
  open(pos: number, limit: number): this {
    this.pos = pos;
    this.limit = limit;
    this.lineEnd = -1;
    this.failed = false;
    this.failure = 0;
    return this;
  }

  /** Constant bytes, such as a pre-encoded `AT+MQTTPUB=`. */
  raw(pattern: Uint8Array): this {
    const n = pattern.length;
    if (!this.room(n)) return this;
    this.bytes.set(pattern, this.pos);
    this.pos += n;
    return this;
  }

  int(value: number): this {
    if (value < 0 || value !== Math.floor(value)) return this.fail(FAILED_BYTE);
    let digits = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
    if (!this.room(digits)) return this;
    let p = this.pos + digits;
    let v = value;
    do {
      this.bytes[--p] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    this.pos += digits;
    return this;
  }

  comma(): this {
    if (this.room(1)) this.bytes[this.pos++] = COMMA;
    return this;
  }

  /** `"s"`; every code unit must be printable ASCII other than `"`. */
  quoted(s: string): this {
    const n = scanQuotable(s);
    if (n < 0) return this.fail(FAILED_BYTE);
    if (!this.room(n + 2)) return this;
    const b = this.bytes;
    let p = this.pos;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) b[p++] = codeAt(s, i);
    b[p++] = QUOTE;
    this.pos = p;
    return this;
  }

  /** `"..."` from bytes, under the same rule as `quoted`. */
  quotedBytes(src: Uint8Array, offset: number, length: number): this {
    if (!this.room(length + 2)) return this;
    const b = this.bytes;
    let p = this.pos;
    b[p++] = QUOTE;
    for (let i = offset, end = offset + length; i < end; i++) {
      const c = src[i]!;
      if (c < SPACE || c > TILDE || c === QUOTE) return this.fail(FAILED_BYTE);
      b[p++] = c;
    }
    b[p++] = QUOTE;
    this.pos = p;
    return this;
  }

  /**
   * Ends the line; `length` bytes of `src` follow once the modem shows its `>` prompt. Any byte
   * values may follow: the modem reads exactly `length` of them.
   */
  data(src: Uint8Array, offset: number, length: number): this {
    this.endLine();
    if (!this.room(length)) return this;
    // A whole array copies natively. A part of one would need a `subarray` view (an
    // allocation), so it is copied in a loop instead: at most 1024 bytes, and the UART takes
    // ~90 ms to send that many at 115200 baud.
    const b = this.bytes;
    if (offset === 0 && length === src.length) b.set(src, this.pos);
    else for (let i = 0, p = this.pos; i < length; i++) b[p + i] = src[offset + i]!;
    this.pos += length;
    return this;
  }

  /** Ends the line with CR (the modem's line terminator for commands). */
  endLine(): void {
    if (this.lineEnd >= 0) return;
    if (this.room(1)) this.bytes[this.pos++] = CR;
    this.lineEnd = this.pos;
  }

  private room(n: number): boolean {
    if (this.failed) return false;
    if (this.pos + n <= this.limit) return true;
    this.fail(FAILED_ROOM);
    return false;
  }

  private fail(why: number): this {
    if (!this.failed) {
      this.failed = true;
      this.failure = why;
    }
    return this;
  }
}
