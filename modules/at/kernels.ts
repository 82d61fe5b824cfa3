import { COLON, COMMA, CR, LF, PROMPT, QUOTE, SPACE } from "./bytes.ts";
import {
  DIGIT_FIELDS_MAX,
  FRAMED_DROPPED,
  FRAMED_NOTHING,
  FRAMED_RECORD,
  FRAMED_UNJOINED,
  MAX_TOKEN,
  RECORD_NO,
  RECORD_UNDECIDED,
  RECORD_YES,
  STATE_BASE,
  STATE_DISCARDING,
  STATE_DROPPED,
  STATE_FEEDING,
  STATE_HEAD,
  STATE_LIMIT,
  STATE_LINES,
  STATE_PREFIX,
  STATE_PREFIX_LENGTH,
  STATE_PROMPT_WANTED,
  STATE_RAW_LEFT,
  STATE_RAW_SKIP,
  STATE_RECORD,
  STATE_SCANNED,
  STATE_TAIL,
  STATE_UNJOINED,
} from "./kernel-abi.ts";

/**
 * The engine's byte loops: joining a read to the ring, framing what comes next, finding a
 * token's key, reading a body of integers or a mode-0 message. Functions of a buffer and offsets
 * alone, so that they can be native code: on Moddable builds the module `cellmqtt/at/kernels`
 * is `native/kernels.c`, a line-for-line mirror of this file, and this TypeScript runs only
 * where a JIT makes byte loops cheap (Node: the tests, the emulator, the command line). In XS each statement costs about as
 * much as a C loop over a whole line, so these loops are where the device's instructions went.
 *
 * Offsets are byte offsets into `bytes`, the engine's whole buffer; the numbers both sides
 * agree on are in kernel-abi.ts. This module exports the functions alone: it is what the
 * native module replaces.
 */

/**
 * Joins `bytes[from, from + count)` (a host's read, outside the ring) to the ring's live bytes,
 * as many as fit, leaving in STATE_UNJOINED how many did not (0 but when a line too long to
 * frame yet fills the ring: see FRAMED_UNJOINED); then frames what comes next, as `frameNext`
 * (whose result it returns: one call less per read). The ring compacts instead of wrapping, so a
 * line is always contiguous, and lazily: an empty ring starts over at its base, and the live
 * bytes (an unfinished line, which is short) are moved back only once the ring is half used or
 * the new bytes would not fit after them. Most
 * reads then join the ring where it is, and the room after the tail stays ample for input that
 * arrives while a line is handled (a port answering inside `write`), which can only join there.
 */
export function joinInput(bytes: Uint8Array, words: Int32Array, stateAt: number, from: number, count: number): number {
  let head = words[stateAt + STATE_HEAD]!;
  let tail = words[stateAt + STATE_TAIL]!;
  const base = words[stateAt + STATE_BASE]!;
  const limit = words[stateAt + STATE_LIMIT]!;
  if (head === tail) head = tail = base;
  else if (tail - base > (limit - base) >> 1 || count > limit - tail) {
    bytes.copyWithin(base, head, tail);
    tail -= head - base;
    head = base;
  }
  const n = count < limit - tail ? count : limit - tail;
  bytes.copyWithin(tail, from, from + n);
  words[stateAt + STATE_HEAD] = head;
  words[stateAt + STATE_TAIL] = tail + n;
  words[stateAt + STATE_UNJOINED] = count - n;
  words[stateAt + STATE_FEEDING] = 1;
  return frameNext(bytes, words, stateAt);
}

/**
 * Frames what comes next from the ring's head, and consumes it (the head moves past it):
 *  - during a length-bound read (STATE_RAW_LEFT), the next piece of it: as much as the ring
 *    holds, up to what is due, returned as `~(start << 16 | end)` (below FRAMED_DROPPED). Line
 *    ends before its first byte are skipped while STATE_RAW_SKIP is set; if they were all that
 *    arrived, the piece is empty (its owner hears that input arrived).
 *  - while a line longer than the ring is dropped (STATE_DISCARDING): the bytes up to its end;
 *    FRAMED_DROPPED once it ended, with STATE_DROPPED telling how many were lost.
 *  - else it skips line ends (and the space a modem may put after `>`), then takes `>` as the
 *    prompt while one is wanted and returns its offset (below 0x10000), or finds the end of the
 *    line and returns `start << 16 | end` (both below MAX_BUFFER; the ring never starts at 0, so
 *    a line is >= 0x10000). A line prefixed by the record prefix ends at its first quote, and
 *    has FRAMED_RECORD set; the quote stays at the head, for the length-bound read after it.
 *  - FRAMED_NOTHING when nothing more can be framed yet: a partial line, if any, starts at the
 *    head, and what was searched of it is kept in the state, so the next call goes on from it.
 *    A partial line that fills the ring starts being dropped. The read is framed: STATE_FEEDING
 *    is cleared. FRAMED_UNJOINED instead when part of the read is still to join (STATE_UNJOINED).
 */
export function frameNext(bytes: Uint8Array, words: Int32Array, stateAt: number): number {
  const r = frame(bytes, words, stateAt);
  if (r !== FRAMED_NOTHING) return r;
  if (words[stateAt + STATE_UNJOINED] !== 0) return FRAMED_UNJOINED;
  words[stateAt + STATE_FEEDING] = 0;
  return r;
}

function frame(bytes: Uint8Array, words: Int32Array, stateAt: number): number {
  let head = words[stateAt + STATE_HEAD]!;
  const tail = words[stateAt + STATE_TAIL]!;
  if (head >= tail) return FRAMED_NOTHING;
  if (words[stateAt + STATE_RAW_LEFT] !== 0) return rawPiece(bytes, words, stateAt, head, tail);
  if (words[stateAt + STATE_DISCARDING] !== 0) return discard(bytes, words, stateAt, head, tail);
  let c = 0;
  while (head < tail) {
    c = bytes[head]!;
    if (c !== LF && c !== CR && c !== SPACE) break;
    head++;
  }
  if (head < tail && c === PROMPT && words[stateAt + STATE_PROMPT_WANTED] !== 0) {
    // (A partial line that starts with `>` is the prompt once one is wanted: what was learnt of it goes.)
    words[stateAt + STATE_PROMPT_WANTED] = 0;
    words[stateAt + STATE_SCANNED] = 0;
    words[stateAt + STATE_RECORD] = RECORD_UNDECIDED;
    words[stateAt + STATE_HEAD] = head + 1;
    return head;
  }
  words[stateAt + STATE_HEAD] = head;
  if (head >= tail) return FRAMED_NOTHING;
  let record = words[stateAt + STATE_RECORD]!;
  if (record === RECORD_UNDECIDED) record = recordStart(bytes, words, stateAt, head, tail);
  let end = head + words[stateAt + STATE_SCANNED]!;
  while (end < tail) {
    c = bytes[end]!;
    if (c === CR || c === LF || (c === QUOTE && record === RECORD_YES)) break;
    end++;
  }
  if (end >= tail) {
    if (tail - head >= words[stateAt + STATE_LIMIT]! - words[stateAt + STATE_BASE]!) {
      // The line fills the ring: it is dropped up to its end.
      words[stateAt + STATE_SCANNED] = 0;
      words[stateAt + STATE_RECORD] = RECORD_UNDECIDED;
      words[stateAt + STATE_DISCARDING] = 1;
      words[stateAt + STATE_DROPPED] = tail - head;
      words[stateAt + STATE_HEAD] = tail;
      return FRAMED_NOTHING;
    }
    words[stateAt + STATE_SCANNED] = tail - head;
    words[stateAt + STATE_RECORD] = record;
    return FRAMED_NOTHING;
  }
  words[stateAt + STATE_SCANNED] = 0;
  words[stateAt + STATE_RECORD] = RECORD_UNDECIDED;
  words[stateAt + STATE_LINES]++;
  if (c === QUOTE) {
    words[stateAt + STATE_HEAD] = end;
    return (head << 16) | end | FRAMED_RECORD;
  }
  words[stateAt + STATE_HEAD] = end + 1;
  return (head << 16) | end;
}

/** The next piece of a length-bound read (see `frameNext`); `head < tail`. */
function rawPiece(bytes: Uint8Array, words: Int32Array, stateAt: number, head: number, tail: number): number {
  if (words[stateAt + STATE_RAW_SKIP] !== 0) {
    while (head < tail && (bytes[head] === CR || bytes[head] === LF)) head++;
    words[stateAt + STATE_HEAD] = head;
    if (head === tail) return ~((head << 16) | head);
    words[stateAt + STATE_RAW_SKIP] = 0;
  }
  const left = words[stateAt + STATE_RAW_LEFT]!;
  const end = tail - head > left ? head + left : tail;
  words[stateAt + STATE_RAW_LEFT] = left - (end - head);
  words[stateAt + STATE_HEAD] = end;
  return ~((head << 16) | end);
}

/** Drops the rest of a line longer than the ring (see `frameNext`); `head < tail`. */
function discard(bytes: Uint8Array, words: Int32Array, stateAt: number, head: number, tail: number): number {
  let end = head;
  while (end < tail && bytes[end] !== CR && bytes[end] !== LF) end++;
  words[stateAt + STATE_DROPPED] += end - head;
  if (end >= tail) {
    words[stateAt + STATE_HEAD] = tail;
    return FRAMED_NOTHING;
  }
  words[stateAt + STATE_DISCARDING] = 0;
  words[stateAt + STATE_HEAD] = end + 1;
  return FRAMED_DROPPED;
}

/** Whether the line at `head` starts with the record prefix: undecided while too few bytes are in. */
function recordStart(bytes: Uint8Array, words: Int32Array, stateAt: number, head: number, tail: number): number {
  const prefixAt = (stateAt + STATE_PREFIX) << 2;
  const n = words[stateAt + STATE_PREFIX_LENGTH]!;
  let i = 0;
  while (i < n && head + i < tail) {
    if (bytes[head + i] !== bytes[prefixAt + i]) return RECORD_NO;
    i++;
  }
  return n === 0 ? RECORD_NO : i === n ? RECORD_YES : RECORD_UNDECIDED;
}

/**
 * The key of the line `bytes[start, end)`'s token, found in `names` (entries of a length, a key,
 * a route and the name's bytes; a zero length ends them): returns `body << 16 | route << 8 |
 * key + 1`, where `body` is where the text after the colon and its spaces starts, and `route` is
 * the entry's (the engine's handler of the key, 0 for none). The token is the text before the
 * line's first colon when that is among its first MAX_TOKEN bytes; a line as short without a
 * colon is a token whole (`RDY`), with its body at its start. Key -1 (a result whose low byte is
 * 0, route 0): no entry has the token, or the line has none.
 */
export function tokenKey(bytes: Uint8Array, start: number, end: number, names: Uint8Array): number {
  const limit = end - start > MAX_TOKEN ? start + MAX_TOKEN : end;
  let colon = start;
  while (colon < limit && bytes[colon] !== COLON) colon++;
  let body = start;
  if (colon < limit) {
    body = colon + 1;
    while (body < end && bytes[body] === SPACE) body++;
  } else if (limit !== end) return start << 16;
  const n = colon - start;
  for (let at = 0; names[at] !== 0; at += 3 + names[at]!) {
    if (names[at] !== n) continue;
    let i = 0;
    while (i < n && bytes[start + i] === names[at + 3 + i]) i++;
    if (i === n) return (body << 16) | (names[at + 2]! << 8) | (names[at + 1]! + 1);
  }
  return body << 16;
}

const INT_MAX = 0x7fffffff;
const COMMA_DIGIT = COMMA - 0x30;

/**
 * Where a kernel leaves numbers: an Int32Array, or a plain array, which XS reads and the C writes
 * at about half the cost. Either way only its existing places are written: an array never grows.
 */
export type Numbers = Int32Array | number[];

/**
 * A body of digits and commas only (`1,1`, `23,99`, `1,1,18,200,`): each field's value into
 * `out` (-1 for an empty field or one past 2^31 - 1; past `out`'s end, none), and the count of
 * fields. -1 if the body holds any other byte or more than DIGIT_FIELDS_MAX fields: the caller's
 * general parser reads it then. `start < end`.
 */
export function digitFields(bytes: Uint8Array, start: number, end: number, out: Numbers): number {
  let n = 0;
  let v = 0;
  let from = start;
  for (let i = start; i < end; i++) {
    const d = bytes[i]! - 0x30;
    if (d >= 0 && d <= 9) {
      if (v <= INT_MAX) v = v * 10 + d;
    } else if (d !== COMMA_DIGIT || n === DIGIT_FIELDS_MAX - 1) return -1;
    else {
      if (n < out.length) out[n] = i > from && v <= INT_MAX ? v : -1;
      n++;
      v = 0;
      from = i + 1;
    }
  }
  if (n < out.length) out[n] = end > from && v <= INT_MAX ? v : -1;
  return n + 1;
}


/**
 * A mode-0 `+MQTTMSG` body, `<id>,<qos>,"<topic>","<payload>"` (spaces allowed after commas), in
 * one pass: 1 with the id, the QoS and the topic's and payload's start and end in
 * `out[at, at + 6)` (a RangeError if `out` has no such places), or 0 for any other shape (the
 * caller's general parser reads it then). The topic closes where that parser closes a quoted
 * field: at the first quote followed, after spaces, by a comma and, after spaces, a quote (a
 * digit there closes it before a number: not this shape). The payload runs to the line's last
 * byte, which must be a quote. `start < end`.
 */
export function messageFields(bytes: Uint8Array, start: number, end: number, out: Numbers, at: number): number {
  if (at < 0 || at + 6 > out.length) throw new RangeError(`messageFields: no room for six values at ${at}`);
  let i = start;
  let c = 0;
  let id = -1;
  let v = -1; // no digit yet
  let spaced = false; // spaces after the digits: another digit makes it not a number
  // The two numbers, each ended by a comma.
  for (;;) {
    c = bytes[i]!;
    const d = c - 0x30;
    if (d >= 0 && d <= 9) {
      if (spaced) return 0;
      v = v < 0 ? d : v <= INT_MAX ? v * 10 + d : v;
    } else if (c === SPACE) spaced = v >= 0;
    else if (c !== COMMA || v < 0 || v > INT_MAX) return 0;
    else if (id < 0) {
      id = v;
      v = -1;
      spaced = false;
    } else break;
    if (++i === end) return 0;
  }
  // The topic's opening quote, after spaces.
  do {
    if (++i === end) return 0;
    c = bytes[i]!;
  } while (c === SPACE);
  if (c !== QUOTE) return 0;
  const topic = i + 1;
  let close = 0;
  for (;;) {
    close = i + 1;
    while (close < end && bytes[close] !== QUOTE) close++;
    i = close + 1;
    if (i >= end) return 0;
    c = bytes[i]!;
    while (c === SPACE) {
      if (++i === end) return 0;
      c = bytes[i]!;
    }
    if (c !== COMMA) {
      i = close; // the search goes on after this quote
      continue;
    }
    do {
      if (++i === end) return 0; // `"t",` then spaces: the general parser splits here too
      c = bytes[i]!;
    } while (c === SPACE);
    if (c === QUOTE) break;
    if (c - 0x30 >= 0 && c - 0x30 <= 9) return 0; // the general parser closes the topic here, before a number
    // Not a field boundary (and not a quote here): the search goes on after this byte.
  }
  if (end - 1 <= i || bytes[end - 1] !== QUOTE) return 0;
  out[at] = id;
  out[at + 1] = v;
  out[at + 2] = topic;
  out[at + 3] = close;
  out[at + 4] = i + 1;
  out[at + 5] = end - 1;
  return 1;
}
