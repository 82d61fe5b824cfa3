import { COMMA, DIGIT_0, DIGIT_9, LPAREN, MINUS, QUOTE, RPAREN, SPACE, codeAt } from "./bytes.ts";
import { digitFields, messageFields, type Numbers } from "./kernels.ts";

/** Most fields any response of the dialect carries, with room to spare. */
const MAX_FIELDS = 16;
const ENDS = MAX_FIELDS;
/** Numbers a `Fields` keeps: each field's start and end. */
export const SPANS_SIZE = 2 * MAX_FIELDS;
/** Shared by every instance until its first parse: a module constant, not a per-engine array. */
const NO_BYTES = new Uint8Array(0);
/** A byte minus `DIGIT_0`, for the ones `ints` tells apart. */
const COMMA_DIGIT = COMMA - DIGIT_0;
const SPACE_DIGIT = SPACE - DIGIT_0;
const INT_MAX = 0x7fffffff;

/**
 * The comma-separated fields of a response body, located in place: each field is a byte range
 * of the line, so nothing is copied or decoded until a caller asks. One instance is reused for
 * every line.
 *
 * Tolerates what modems send: spaces after commas (`+MQTTMSG: 1, 0, "t", "p"`), parenthesised
 * lists that contain commas (`+MQTTSUB: (1,2),255,(0-2)`), and a final quoted field that itself
 * contains quotes (in mode 0 the payload is not escaped, so it ends at the line's last quote).
 *
 * Lines in the engine's buffer (`home`) are read through `spans`, a word view of that buffer:
 * in XS a typed-array read costs about as much as a dozen bytecodes, so a word read and shifts
 * beat four byte reads, and a search tests four bytes at once.
 */
export class Fields {
  // Hot fields first: XS finds an instance's properties by walking them in order.
  // What `message` found: the client id, the QoS, and the topic's and payload's byte ranges.
  messageId = 0;
  messageQos = 0;
  topicStart = 0;
  topicEnd = 0;
  payloadStart = 0;
  payloadEnd = 0;
  /** Where the kernel leaves those six: a plain array, read at half a typed array's cost. */
  private readonly found = [0, 0, 0, 0, 0, 0];
  // Starts and ends of the fields: `spans[at, at + SPANS_SIZE)`, a region of an array the
  // engine shares out, since in XS each typed array costs several heap slots.
  private readonly spans: Int32Array;
  /** The bytes `spans` views (the engine's buffer), or null: other arrays are read a byte at a time. */
  private readonly home: Uint8Array | null;
  private readonly at: number;
  count = 0;
  bytes: Uint8Array = NO_BYTES;
  /** Bit i set: field i was quoted. (One number, not a third span per field: fewer writes.) */
  private quoted = 0;

  constructor(spans?: Int32Array, at = 0, home: Uint8Array | null = null) {
    this.spans = spans ?? new Int32Array(SPANS_SIZE);
    this.at = spans ? at : 0;
    this.home = spans ? home : null;
  }

  /**
   * Splits [start, end) into fields; returns how many. `count`: how many fields the line has,
   * when the caller knows (`+MQTTMSG` has four). The last of them, if quoted, then closes at the
   * line's last quote without being searched for commas: it is the payload, and may hold any byte.
   */
  parse(bytes: Uint8Array, start: number, end: number, count = MAX_FIELDS): number {
    this.bytes = bytes;
    const spans = this.spans;
    const words = bytes === this.home ? spans : null;
    const first = this.at;
    const last = first + count - 1; // the field that may run to the line's last quote
    const stop = first + MAX_FIELDS;
    let at = first; // where the next field's start goes
    let quoted = 0;
    let i = start;
    let c = 0;
    let from = 0;
    let to = 0;
    let depth = 0;
    for (;;) {
      c = i < end ? bytes[i]! : -1;
      while (c === SPACE) c = ++i < end ? bytes[i]! : -1;
      if (c < 0) break; // spaces after a comma: no field
      if (c === QUOTE) {
        from = i + 1;
        if (at !== last) to = closingQuote(bytes, words, from, end);
        else {
          // A payload's closing quote is nearly always the line's last byte.
          to = end - 1;
          if (to < from || bytes[to] !== QUOTE) to = lastQuote(bytes, words, from, end);
        }
        quoted |= 1 << (at - first);
        i = to + 1;
        while (i < end && bytes[i] !== COMMA) i++;
      } else {
        // Up to the first comma outside parentheses, less trailing spaces.
        from = to = i;
        depth = 0;
        for (;;) {
          if (c === COMMA) {
            if (depth <= 0) break;
          } else if (c === LPAREN) depth++;
          else if (c === RPAREN) depth--;
          if (c !== SPACE) to = i + 1;
          if (++i === end) break;
          c = bytes[i]!;
        }
      }
      spans[at] = from;
      spans[at + ENDS] = to;
      at++;
      if (i >= end || at === stop) break;
      if (++i === end) {
        // The comma ends the line: an empty last field.
        spans[at] = end;
        spans[at + ENDS] = end;
        at++;
        break;
      }
    }
    this.count = at - first;
    this.quoted = quoted;
    return at - first;
  }

  /**
   * A mode-0 `+MQTTMSG` body, `<id>,<qos>,"<topic>","<payload>"`, in one pass: the same values
   * as `parse(bytes, start, end, 4)` followed by `int(0)`, `int(1)`, `start(2)`, `end(2)`,
   * `start(3)` and `end(3)`, left in `messageId`, `messageQos`, `topicStart`, `topicEnd`,
   * `payloadStart` and `payloadEnd` (properties, not six method calls and twelve span reads).
   * Returns false, and the caller goes through `parse`, for anything else: a number that is not
   * one (`1 2`, empty, over 2^31 - 1), a topic that does not close as `parse` closes it before a
   * quoted payload, or a payload whose closing quote is not the line's last byte. Spaces after
   * commas pass, as in `parse`. After it `count` is 0, so the per-field accessors see no stale
   * ranges.
   */
  message(bytes: Uint8Array, start: number, end: number): boolean {
    this.count = 0;
    const found = this.found;
    if (start >= end || messageFields(bytes, start, end, found, 0) === 0) return false;
    this.messageId = found[0]!;
    this.messageQos = found[1]!;
    this.topicStart = found[2]!;
    this.topicEnd = found[3]!;
    this.payloadStart = found[4]!;
    this.payloadEnd = found[5]!;
    return true;
  }

  /**
   * For bodies of integers only (`1,1`, `23,99`, `1,1,18,200`): the same as `parse` followed by
   * `int(i)` for each field into `out[i]`, in one pass over the bytes and without recording
   * the fields' ranges. Returns the field count `parse` would. Any byte other than a digit,
   * comma or space sends the body through `parse` instead, so the result is always the same;
   * after the fast path `count` is 0, so the per-field accessors see no stale ranges.
   * (`out` takes the first `out.length` values; a plain array, which XS reads at half a typed
   * array's cost, never grows.)
   */
  ints(bytes: Uint8Array, start: number, end: number, out: Numbers): number {
    // Digits and commas only, the usual body, are read by the kernel; spaces or anything else
    // start over on the byte path.
    const n = start < end ? digitFields(bytes, start, end, out) : -1;
    if (n < 0) return this.byteInts(bytes, start, end, out);
    this.count = 0;
    return n;
  }

  /** `ints` a byte at a time, spaces included. */
  private byteInts(bytes: Uint8Array, start: number, end: number, out: Numbers): number {
    let n = 0;
    let i = start;
    while (i < end && bytes[i] === SPACE) i++;
    if (i >= end) return this.slowInts(bytes, start, end, out);
    // A field is digits, then spaces, then a comma or the end.
    let v = 0;
    let d = 0;
    let digits = 0;
    let spaced = false;
    for (; i < end; i++) {
      d = bytes[i]! - DIGIT_0;
      if (d >>> 0 < 10) {
        if (spaced) return this.slowInts(bytes, start, end, out); // `1 2`
        v = v * 10 + d;
        digits++;
      } else if (d === COMMA_DIGIT) {
        if (n < out.length) out[n] = digits > 0 && v <= INT_MAX ? v : -1;
        if (++n === MAX_FIELDS) return this.slowInts(bytes, start, end, out);
        v = digits = 0;
        spaced = false;
      } else if (d === SPACE_DIGIT) spaced = digits > 0; // spaces before a field's digits are skipped
      else return this.slowInts(bytes, start, end, out);
    }
    // As in `parse`: a body ending in `,` has an empty last field, one ending in `, ` none.
    if (digits > 0 || bytes[end - 1] === COMMA) {
      if (n < out.length) out[n] = digits > 0 && v <= INT_MAX ? v : -1;
      n++;
    }
    this.count = 0;
    return n;
  }

  private slowInts(bytes: Uint8Array, start: number, end: number, out: Numbers): number {
    const n = this.parse(bytes, start, end);
    for (let k = 0; k < n && k < out.length; k++) out[k] = this.int(k);
    return n;
  }

  /** Byte offset where field `i` starts (inside its quotes, if quoted). */
  start(i: number): number {
    return this.spans[this.at + i]!;
  }

  end(i: number): number {
    return this.spans[this.at + i + ENDS]!;
  }

  length(i: number): number {
    if (i >= this.count) return -1;
    const spans = this.spans;
    const k = this.at + i;
    return spans[k + ENDS]! - spans[k]!;
  }

  isQuoted(i: number): boolean {
    return i < this.count && ((this.quoted >> i) & 1) === 1;
  }

  /** Field `i` as a non-negative decimal integer; -1 if absent, empty or not a number. */
  int(i: number): number {
    if (i >= this.count) return -1;
    const spans = this.spans;
    const k = this.at + i;
    let p = spans[k]!;
    const e = spans[k + ENDS]!;
    if (p >= e) return -1;
    const b = this.bytes;
    let v = 0;
    let d = 0;
    for (; p < e; p++) {
      d = b[p]! - DIGIT_0;
      if (d >>> 0 > 9) return -1;
      v = v * 10 + d;
      if (v > INT_MAX) return -1;
    }
    return v;
  }

  /** True if field `i` is a parenthesised list or range that includes `value` (`(1,2)`, `(0-2)`, `(1-65535)`). */
  listIncludes(i: number, value: number): boolean {
    if (i >= this.count) return false;
    const b = this.bytes;
    let p = this.spans[this.at + i]!;
    const e = this.spans[this.at + i + ENDS]!;
    if (b[p] === LPAREN) p++;
    while (p < e) {
      let lo = 0;
      let digits = 0;
      while (p < e && b[p]! >= DIGIT_0 && b[p]! <= DIGIT_9) {
        lo = lo * 10 + (b[p++]! - DIGIT_0);
        digits++;
      }
      let hi = lo;
      if (p < e && b[p] === MINUS) {
        p++;
        hi = 0;
        while (p < e && b[p]! >= DIGIT_0 && b[p]! <= DIGIT_9) hi = hi * 10 + (b[p++]! - DIGIT_0);
      }
      if (digits > 0 && value >= lo && value <= hi) return true;
      p++; // separator, or the closing parenthesis
    }
    return false;
  }

  /** Upper bound of field `i` if it is a range like `(1-300)`, its value if a plain integer, else -1. */
  upperBound(i: number): number {
    if (i >= this.count) return -1;
    const plain = this.int(i);
    if (plain >= 0) return plain;
    const b = this.bytes;
    const e = this.spans[this.at + i + ENDS]!;
    let p = e - 1;
    if (b[p] === RPAREN) p--;
    let v = 0;
    let scale = 1;
    while (p >= this.spans[this.at + i]! && b[p]! >= DIGIT_0 && b[p]! <= DIGIT_9) {
      v += (b[p--]! - DIGIT_0) * scale;
      scale *= 10;
    }
    return scale > 1 ? v : -1;
  }

  /** True if field `i` equals `pattern` byte for byte. */
  equals(i: number, pattern: Uint8Array): boolean {
    if (this.length(i) !== pattern.length) return false;
    const b = this.bytes;
    const s = this.spans[this.at + i]!;
    for (let k = 0; k < pattern.length; k++) if (b[s + k] !== pattern[k]) return false;
    return true;
  }

  /** True if field `i` equals the ASCII string `s`. Allocates nothing. */
  equalsText(i: number, s: string): boolean {
    if (i >= this.count) return false;
    const b = this.bytes;
    const start = this.spans[this.at + i]!;
    const n = this.spans[this.at + i + ENDS]! - start;
    for (let k = 0; k < n; k++) if (b[start + k] !== codeAt(s, k)) return false;
    return codeAt(s, n) !== codeAt(s, n); // NaN past the end: same length
  }

  /** Field `i` as a string (allocates: for values a user must see). */
  text(i: number): string {
    if (i >= this.count) return "";
    let s = "";
    for (let p = this.spans[this.at + i]!; p < this.spans[this.at + i + ENDS]!; p++) s += String.fromCharCode(this.bytes[p]!);
    return s;
  }
}

const COMMAS = 0x2c2c2c2c;
const QUOTES = 0x22222222;
const ONES = 0x01010101;
const SEVEN_FS = 0x7f7f7f7f;
const HIGH_BITS = 0x80808080 | 0;

/**
 * The quote closing a field opened at `from`: the first quote followed (after spaces) by a
 * comma and then a field, or failing that the line's last quote; the line end if the quote is
 * missing. It looks for the commas and checks what precedes them: a JSON payload has far fewer
 * commas than quotes. (Each comma has one nearest quote before it, in the same order, so the
 * first comma that qualifies belongs to the first quote that does.)
 */
function closingQuote(bytes: Uint8Array, words: Int32Array | null, from: number, end: number): number {
  let c = from; // the next comma, once found
  let p = 0;
  let k = 0;
  let q = 0;
  while (c < end) {
    if (words !== null) {
      // Four bytes per step; bytes before `c` are masked to non-commas. In the first word that
      // has any, the lowest 0x80 bit marks the first comma (a borrow only marks bytes above it).
      k = c >> 2;
      q = (words[k]! ^ COMMAS) | ((1 << ((c & 3) << 3)) - 1);
      for (;;) {
        q = (q - ONES) & ~q & HIGH_BITS;
        if (q !== 0) {
          c = (k << 2) + ((q & 0x80) !== 0 ? 0 : (q & 0x8000) !== 0 ? 1 : (q & 0x800000) !== 0 ? 2 : 3);
          break;
        }
        if (++k << 2 >= end) {
          c = end;
          break;
        }
        q = words[k]! ^ COMMAS;
      }
      if (c >= end) break;
    } else {
      while (c < end && bytes[c] !== COMMA) c++;
      if (c === end) break;
    }
    // Does a quote end the field here: a quote (after spaces) before the comma, and a quoted
    // field, a number or the line end (after spaces) after it? (So `"a","b"` splits but `"a,b"` does not.)
    p = c - 1;
    while (p >= from && (q = bytes[p]!) === SPACE) p--;
    if (p >= from && q === QUOTE) {
      k = c + 1;
      while (k < end && (q = bytes[k]!) === SPACE) k++;
      if (k === end || q === QUOTE || (q - DIGIT_0) >>> 0 < 10) return p;
    }
    c++;
  }
  return lastQuote(bytes, words, from, end);
}

/** The last quote in bytes[from, end), or `end` if there is none; through `words` four bytes per step. */
function lastQuote(bytes: Uint8Array, words: Int32Array | null, from: number, end: number): number {
  let p = end - 1;
  if (p < from) return end;
  if (words !== null) {
    // Bytes at or past `end` and before `from` are masked to non-quotes; the highest quote left wins.
    let k = p >> 2;
    let q = (words[k]! ^ QUOTES) | (-0x100 << ((p & 3) << 3));
    const first = from >> 2;
    for (;;) {
      if (k === first) q |= (1 << ((from & 3) << 3)) - 1;
      // Exactly the zero bytes of q (no borrow between bytes), as 0x80 each.
      q = ~(((q & SEVEN_FS) + SEVEN_FS) | q | SEVEN_FS);
      if (q !== 0) return (k << 2) + (q < 0 ? 3 : q >= 0x800000 ? 2 : q >= 0x8000 ? 1 : 0);
      if (k === first) return end;
      q = words[--k]! ^ QUOTES;
    }
  }
  for (; p >= from; p--) if (bytes[p] === QUOTE) return p;
  return end;
}
