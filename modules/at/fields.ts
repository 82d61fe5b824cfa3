import { COMMA, DIGIT_0, DIGIT_9, LPAREN, MINUS, QUOTE, RPAREN, SPACE, codeAt } from "./bytes.ts";

/** Most fields any response of the dialect carries, with room to spare. */
const MAX_FIELDS = 16;
const ENDS = MAX_FIELDS;
const QUOTED = 2 * MAX_FIELDS;
/** Numbers a `Fields` keeps: each field's start, end and quoted flag. */
export const SPANS_SIZE = 3 * MAX_FIELDS;
/** Shared by every instance until its first parse: a module constant, not a per-engine array. */
const NO_BYTES = new Uint8Array(0);

/**
 * The comma-separated fields of a response body, located in place: each field is a byte range
 * of the line, so nothing is copied or decoded until a caller asks. One instance is reused for
 * every line.
 *
 * Tolerates what modems send: spaces after commas (`+MQTTMSG: 1, 0, "t", "p"`), parenthesised
 * lists that contain commas (`+MQTTSUB: (1,2),255,(0-2)`), and a final quoted field that itself
 * contains quotes (in mode 0 the payload is not escaped, so it ends at the line's last quote).
 */
export class Fields {
  count = 0;
  bytes: Uint8Array = NO_BYTES;
  // Starts, ends and quoted flags of the fields: `spans[at, at + SPANS_SIZE)`, a region of an
  // array the engine shares out, since in XS each typed array costs several heap slots.
  private readonly spans: Int32Array;
  private readonly at: number;
  /**
   * The bytes `spans` views (the engine's buffer), or null. Lines in them are scanned for commas
   * four bytes per step through `spans`; other arrays a byte at a time.
   */
  private readonly home: Uint8Array | null;

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
    const a = this.at;
    const words = bytes === this.home ? spans : null;
    let n = 0;
    let i = start;
    while (n < MAX_FIELDS) {
      while (i < end && bytes[i] === SPACE) i++;
      if (i >= end) {
        if (n > 0 && bytes[end - 1] === COMMA) {
          spans[a + n] = spans[a + n + ENDS] = end;
          spans[a + n++ + QUOTED] = 0;
        }
        break;
      }
      if (bytes[i] === QUOTE) {
        const close = n === count - 1 ? lastQuote(bytes, i + 1, end) : closingQuote(bytes, words, i + 1, end);
        spans[a + n] = i + 1;
        spans[a + n + ENDS] = close;
        spans[a + n++ + QUOTED] = 1;
        i = close + 1;
        while (i < end && bytes[i] !== COMMA) i++;
      } else {
        const from = i;
        let depth = 0;
        for (; i < end; i++) {
          const d = bytes[i]!;
          if (d === COMMA) {
            if (depth <= 0) break;
          } else if (d === LPAREN) depth++;
          else if (d === RPAREN) depth--;
        }
        let to = i;
        while (to > from && bytes[to - 1] === SPACE) to--;
        spans[a + n] = from;
        spans[a + n + ENDS] = to;
        spans[a + n++ + QUOTED] = 0;
      }
      if (i >= end) break;
      i++; // the comma
      if (i >= end) {
        spans[a + n] = spans[a + n + ENDS] = end;
        spans[a + n++ + QUOTED] = 0;
        break;
      }
    }
    this.count = n;
    return n;
  }

  /**
   * For bodies of integers only (`1,1`, `23,99`, `1,1,18,200`): the same as `parse` followed by
   * `int(i)` for each field into `out[i]`, in one pass over the bytes and without recording
   * the fields' ranges. Returns the field count `parse` would. Any byte other than a digit,
   * comma or space sends the body through `parse` instead, so the result is always the same;
   * after the fast path `count` is 0, so the per-field accessors see no stale ranges.
   */
  ints(bytes: Uint8Array, start: number, end: number, out: Int32Array): number {
    const room = out.length;
    let n = 0;
    let i = start;
    while (i < end && bytes[i] === SPACE) i++;
    if (i >= end) return this.slowInts(bytes, start, end, out);
    // One pass, a byte per step: a field is digits, then spaces, then a comma or the end.
    let v = 0;
    let digits = 0;
    let spaced = false;
    for (; i < end; i++) {
      const d = bytes[i]! - DIGIT_0;
      if (d >= 0 && d <= 9) {
        if (spaced) return this.slowInts(bytes, start, end, out); // `1 2`
        v = v * 10 + d;
        digits++;
      } else if (d === COMMA - DIGIT_0) {
        if (n < room) out[n] = digits > 0 && v <= 0x7fffffff ? v : -1;
        if (++n === MAX_FIELDS) return this.slowInts(bytes, start, end, out);
        v = digits = 0;
        spaced = false;
      } else if (d === SPACE - DIGIT_0) spaced = digits > 0; // spaces before a field's digits are skipped
      else return this.slowInts(bytes, start, end, out);
    }
    // As in `parse`: a body ending in `,` has an empty last field, one ending in `, ` none.
    if (digits > 0 || bytes[end - 1] === COMMA) {
      if (n < room) out[n] = digits > 0 && v <= 0x7fffffff ? v : -1;
      n++;
    }
    this.count = 0;
    return n;
  }

  private slowInts(bytes: Uint8Array, start: number, end: number, out: Int32Array): number {
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
    return i < this.count ? this.spans[this.at + i + ENDS]! - this.spans[this.at + i]! : -1;
  }

  isQuoted(i: number): boolean {
    return i < this.count && this.spans[this.at + i + QUOTED] === 1;
  }

  /** Field `i` as a non-negative decimal integer; -1 if absent, empty or not a number. */
  int(i: number): number {
    if (i >= this.count) return -1;
    const b = this.bytes;
    let p = this.spans[this.at + i]!;
    const e = this.spans[this.at + i + ENDS]!;
    if (p >= e) return -1;
    let v = 0;
    for (; p < e; p++) {
      const c = b[p]!;
      if (c < DIGIT_0 || c > DIGIT_9) return -1;
      v = v * 10 + (c - DIGIT_0);
      if (v > 0x7fffffff) return -1;
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

/**
 * The quote closing a field opened at `from`: the first quote followed (after spaces) by a
 * comma and then a field, or failing that the line's last quote; the line end if the quote is
 * missing. It looks for the commas and checks what precedes them: a JSON payload has far fewer
 * commas than quotes. (Each comma has one nearest quote before it, in the same order, so the
 * first comma that qualifies belongs to the first quote that does.)
 */
function closingQuote(bytes: Uint8Array, words: Int32Array | null, from: number, end: number): number {
  for (let c = from; ; c++) {
    c = nextComma(bytes, words, c, end);
    if (c >= end) break;
    let p = c - 1;
    while (p >= from && bytes[p] === SPACE) p--;
    if (p >= from && bytes[p] === QUOTE && fieldFollows(bytes, c + 1, end)) return p;
  }
  return lastQuote(bytes, from, end);
}

/** The last quote in bytes[from, end), or `end` if there is none. */
function lastQuote(bytes: Uint8Array, from: number, end: number): number {
  for (let p = end - 1; p >= from; p--) if (bytes[p] === QUOTE) return p;
  return end;
}

const COMMAS = 0x2c2c2c2c;
const ONES = 0x01010101;
const HIGH_BITS = 0x80808080 | 0;

/**
 * Index of the first comma in bytes[from, end), or `end`. With `words` (a view of the same
 * buffer) it tests four bytes per step: a payload is mostly bytes that are not commas, and a
 * byte at a time costs XS about as much per byte as this does per word.
 */
function nextComma(bytes: Uint8Array, words: Int32Array | null, from: number, end: number): number {
  let i = from;
  if (words !== null) {
    while (i < end && (i & 3) !== 0) {
      if (bytes[i] === COMMA) return i;
      i++;
    }
    const last = end - 4;
    while (i <= last) {
      const q = words[i >> 2]! ^ COMMAS; // a zero byte where the word has a comma
      if (((q - ONES) & ~q & HIGH_BITS) !== 0) break;
      i += 4;
    }
  }
  while (i < end && bytes[i] !== COMMA) i++;
  return i;
}

/** After a comma: does a quoted field or a number follow? (So `"a","b"` splits but `"a,b"` does not.) */
function fieldFollows(bytes: Uint8Array, from: number, end: number): boolean {
  let p = from;
  while (p < end && bytes[p] === SPACE) p++;
  if (p >= end) return true;
  const c = bytes[p]!;
  return c === QUOTE || (c >= DIGIT_0 && c <= DIGIT_9);
}
