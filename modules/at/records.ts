import { COMMA, CR, LF, QUOTE } from "./bytes.ts";
import type { Fields } from "./fields.ts";
import type { Clock } from "./port.ts";
import { RECORD_CUT, RECORD_MALFORMED, RECORD_NONE, RECORD_OK, RECORD_TOO_LONG } from "./results.ts";
import type { RawSink, Scanner } from "./scanner.ts";

/**
 * Receives the messages of `+MQTTREAD` records, which the engine frames by their lengths
 * whenever they arrive (in answer to `AT+MQTTREAD=<id>` or late, after that command was given
 * up). For each header, `onRecordStart` and then exactly one `onRecordEnd`.
 */
export interface RecordSink {
  /**
   * A header `+MQTTREAD: <id>,<qos>,<tlen>,<plen>`. `<id>,0,0,0` means no message waits for the
   * id; `onRecordEnd(RECORD_NONE)` follows at once.
   */
  onRecordStart(id: number, qos: number, topicLength: number, payloadLength: number): void;
  /**
   * Payload bytes `bytes[start, end)`, which go at `offset` in the payload. Given only for a
   * record that fits (topic at most TOPIC_ROOM - 1 bytes, payload at most the sink's maximum).
   * Keep nothing until `onRecordEnd` says RECORD_OK: a record may still turn out malformed.
   */
  onRecordPayload(bytes: Uint8Array, start: number, end: number, offset: number): void;
  /**
   * The record ended with a `RECORD_*` status. With RECORD_OK the message is whole and its topic
   * is `bytes[topicStart, topicEnd)` (valid during the call). Otherwise the topic range holds the
   * topic if it was read whole, else it is empty.
   */
  onRecordEnd(status: number, bytes: Uint8Array, topicStart: number, topicEnd: number): void;
}

/** Told how each record ended, so the engine can count and report it. */
export interface RecordListener {
  recordEnded(status: number, topicStart: number, topicEnd: number): void;
}

/** Room for a record's topic in the engine's buffer: the manual's longest topic is 255 bytes. */
export const TOPIC_ROOM = 256;

/**
 * Frames `"topic","payload"` after a `+MQTTREAD` header by the header's lengths, never by what
 * the bytes look like (a payload may hold quotes, commas and line ends), and checks every
 * delimiter: the opening quote (without it there is no record: the bytes go back to the line
 * scanner), `","`, the closing quote and the line end after it. A record whose delimiters are
 * wrong is reported malformed and never delivered; one longer than the buffers is read past by
 * its length and reported. `open` stays true while its bytes are still due. A record's bytes
 * come in one run: after a silence longer than `gapMs` in the middle of it they are not coming,
 * so the record is cut there and what arrives next is framed as lines again; a header with
 * lengths that never arrive cannot swallow the lines after it for ever.
 */
export class RecordReader implements RawSink {
  // Fields in the order a piece of payload uses them: XS finds an instance's properties by
  // walking them in order.
  private readonly clock: Clock;
  /** When the record's header or its last bytes arrived. */
  private heardAt = 0;
  private readonly gapMs: number;
  /** Bytes of the record read so far: its quote, topic, `","`, payload, quote and line end. */
  private at = 0;
  /** Where, in those, the payload starts and its closing quote is; the line end follows it. */
  private payloadAt = 0;
  private closeAt = 0;
  private fits = false;
  private readonly sink: RecordSink;
  /** A record's bytes are being read. */
  open = false;
  private topicLength = 0;
  private topicFits = false;
  private bad = false;
  /** The header's numbers (a plain array: XS reads it at half a typed array's cost). */
  private readonly values = [0, 0, 0, 0, 0];
  private readonly bytes: Uint8Array;
  private readonly topicAt: number;
  private readonly scanner: Scanner;
  private readonly fields: Fields;
  private readonly payloadMax: number;
  private readonly listener: RecordListener;

  constructor(
    bytes: Uint8Array,
    topicAt: number,
    scanner: Scanner,
    fields: Fields,
    sink: RecordSink,
    payloadMax: number,
    listener: RecordListener,
    clock: Clock,
    gapMs: number,
  ) {
    this.clock = clock;
    this.gapMs = gapMs;
    this.sink = sink;
    this.bytes = bytes;
    this.topicAt = topicAt;
    this.scanner = scanner;
    this.fields = fields;
    this.payloadMax = payloadMax;
    this.listener = listener;
  }

  /**
   * A `+MQTTREAD` line `bytes[body, end)`, ended by its line end or, when `quoted`, by the
   * record's opening quote. False if it is no record header (the test form's `(1,2)`): the line
   * is then routed as usual.
   */
  header(bytes: Uint8Array, body: number, end: number, quoted: boolean): boolean {
    const v = this.values;
    const n = this.fields.ints(bytes, body, end, v);
    // (Each value read once: a typed array's element costs XS several times a local.)
    const id = v[0]!;
    const qos = v[1]!;
    const tlen = v[2]!;
    const plen = v[3]!;
    if (n < 4 || n > 5 || id < 0 || qos < 0 || tlen < 0 || plen < 0 || (n === 5 && v[4]! !== -1)) {
      if (!quoted) return false;
      // A record follows, but without lengths there is nothing to frame it by.
      this.listener.recordEnded(RECORD_MALFORMED, 0, 0);
      return true;
    }
    this.sink.onRecordStart(id, qos, tlen, plen);
    if (tlen === 0 && plen === 0 && !quoted) {
      this.sink.onRecordEnd(RECORD_NONE, this.bytes, this.topicAt, this.topicAt);
      return true;
    }
    this.open = true;
    this.heardAt = this.clock.now();
    this.at = 0;
    // On the header's line the lengths end with a comma before the quote; alone, without one.
    this.bad = quoted ? n !== 5 : n !== 4;
    this.topicLength = tlen;
    this.payloadAt = tlen + 4;
    this.closeAt = tlen + 4 + plen;
    this.topicFits = tlen < TOPIC_ROOM;
    this.fits = this.topicFits && plen <= this.payloadMax;
    // Quote, topic, `","`, payload, quote, and the CR (or LF) after it.
    this.scanner.expectRaw(tlen + plen + 6, this, !quoted);
    return true;
  }

  onRaw(b: Uint8Array, start: number, end: number): void {
    const now = this.clock.now();
    if (now - this.heardAt > this.gapMs) {
      // The line fell silent in the middle of the record: these bytes are no part of it.
      this.scanner.stopRaw(start);
      this.finish(RECORD_CUT);
      return;
    }
    this.heardAt = now;
    let at = this.at;
    if (at >= this.payloadAt && at + (end - start) <= this.closeAt) {
      // A piece wholly inside the payload, the most common one: no delimiter in it to check, and
      // the closing quote and line end are still to come.
      if (this.fits) this.sink.onRecordPayload(b, start, end, at - this.payloadAt);
      this.at = at + (end - start);
      return;
    }
    const tlen = this.topicLength;
    const payloadAt = this.payloadAt;
    const closeAt = this.closeAt;
    let i = start;
    if (at === 0) {
      // Only the line ends before the record so far: they count as hearing from it, no more.
      if (i === end) return;
      // The opening quote, which a record's first piece starts with.
      if (b[i] !== QUOTE) {
        this.scanner.stopRaw(i);
        this.finish(RECORD_MALFORMED);
        return;
      }
      i++;
      at = 1;
      if (end - i >= tlen + 3) {
        // The topic and `","` in this piece too, the usual case: each delimiter checked at its
        // place, rather than a pass of the loop below per byte.
        if (this.topicFits) b.copyWithin(this.topicAt, i, i + tlen);
        i += tlen;
        if (b[i] !== QUOTE || b[i + 1] !== COMMA || b[i + 2] !== QUOTE) this.bad = true;
        i += 3;
        at = payloadAt;
      }
    }
    while (i < end) {
      if (at <= tlen) {
        let n = end - i;
        if (n > tlen + 1 - at) n = tlen + 1 - at;
        if (this.topicFits) b.copyWithin(this.topicAt + at - 1, i, i + n);
        i += n;
        at += n;
      } else if (at < payloadAt) {
        if (b[i] !== (at === tlen + 2 ? COMMA : QUOTE)) this.bad = true;
        i++;
        at++;
      } else if (at < closeAt) {
        let n = end - i;
        if (n > closeAt - at) n = closeAt - at;
        if (this.fits) this.sink.onRecordPayload(b, i, i + n, at - payloadAt);
        i += n;
        at += n;
      } else if (at === closeAt) {
        if (b[i] !== QUOTE) this.bad = true;
        i++;
        at++;
      } else {
        // The line end after the record; anything else is left to the line scanner.
        const c = b[i];
        if (c !== CR && c !== LF) {
          this.bad = true;
          this.scanner.stopRaw(i);
        }
        i++;
        at++;
      }
    }
    this.at = at;
    // The line end after the closing quote was the record's last byte.
    if (at === closeAt + 2) this.finish(RECORD_OK);
  }

  /** Ends the record being read where it stands: the modem restarted. */
  cut(): void {
    if (!this.open) return;
    this.scanner.stopRaw(this.scanner.head);
    this.finish(RECORD_CUT);
  }

  private finish(status: number): void {
    this.open = false;
    if (status === RECORD_OK) status = this.bad ? RECORD_MALFORMED : this.fits ? RECORD_OK : RECORD_TOO_LONG;
    const topicAt = this.topicAt;
    const topicEnd = this.topicFits && this.at > this.topicLength ? topicAt + this.topicLength : topicAt;
    this.listener.recordEnded(status, topicAt, topicEnd);
    this.sink.onRecordEnd(status, this.bytes, topicAt, topicEnd);
  }
}
