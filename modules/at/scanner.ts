import { CR, LF, PROMPT, QUOTE, SPACE } from "./bytes.ts";
import type { ByteRing } from "./ring.ts";

/** Receives a length-bound read, in pieces as the bytes arrive; `remaining` bytes are still to come. */
export interface RawSink {
  onRaw(bytes: Uint8Array, start: number, end: number, remaining: number): void;
}

/** Where framed input goes. Offsets index `bytes` and are valid only during the call. */
export interface ScanSink {
  /** A line without its terminator. Never empty. */
  line(bytes: Uint8Array, start: number, end: number): void;
  /** The `>` data prompt, seen only while `promptWanted` was set. */
  prompt(): void;
  /** A line longer than the ring was dropped (`dropped` bytes so far of it). */
  overflow(dropped: number): void;
}

const LINE = 0;
const RAW = 1;
const DISCARD = 2;

/** What the framing loop reports when it took a `>` as the prompt, in place of a line's end. */
const PROMPT_FRAMED = -2;

const UNDECIDED = -1;
const NOT_RECORD = 0;
const RECORD = 1;

// Bytes below 0x0E include CR and LF; a word holding none of them is skipped whole.
const BELOW_0E = 0x0e0e0e0e;
const HIGH_BITS = 0x80808080 | 0;
const QUOTES = 0x22222222;
const CRS = 0x0d0d0d0d;
const LFS = 0x0a0a0a0a;
const SEVEN_FS = 0x7f7f7f7f;
const ONES = 0x01010101;

/**
 * Frames the ring's bytes: CR- or LF-terminated lines (so CRLF, bare LF and stray CR all work,
 * and empty lines vanish), the `>` prompt that has no line end, and exact-length raw reads whose
 * bytes are never scanned. A "record" prefix (`+MQTTREAD:`) marks a header that ends at its
 * first quote, because the quoted payload after it may contain line ends and is read by length.
 */
export class Scanner implements ByteRing {
  // Hot fields first, in the order a line's pass reads them: XS finds an instance's properties
  // by walking them in order.
  head: number;
  tail: number;
  private mode = LINE;
  readonly bytes: Uint8Array;
  private record = UNDECIDED;
  // The record prefix's first two bytes (-1: none), so most lines are told apart without comparing it all.
  private prefix0 = -1;
  private prefix1 = -1;
  /**
   * How many bytes of the partial line at `ring.head` are known to hold no line end. Relative to
   * the head, so it stays right when the engine compacts the ring.
   */
  private scanned = 0;
  private readonly words: Int32Array;
  private readonly sink: ScanSink;
  readonly base: number;
  readonly capacity: number;
  private readonly limit: number;
  /** Past this tail, a feed moves a partial line back to the ring's start. */
  private readonly compactAt: number;
  private rawRemaining = 0;
  private rawSink: RawSink | null = null;
  private rawSkipLineEnds = false;
  /** A feed is framing: input that arrives meanwhile (a port answering inside `write`) is appended. */
  feeding = false;
  /** Set by the command channel while a command waits for `>`. */
  promptWanted = false;
  private prefixLast = -1;
  private recordPrefix: Uint8Array | null = null;
  private dropped = 0;
  /** Lines dropped for exceeding the ring. */
  overflows = 0;

  /**
   * `words` views the same buffer as `bytes`, whole: the line-end search reads whole words, up
   * to the one holding the region's last byte (the engine's buffer is a multiple of 4 long).
   */
  constructor(bytes: Uint8Array, base: number, capacity: number, sink: ScanSink, words: Int32Array) {
    this.head = base;
    this.tail = base;
    this.sink = sink;
    this.bytes = bytes;
    this.base = base;
    this.capacity = capacity;
    this.limit = base + capacity;
    this.compactAt = base + (capacity >> 1);
    this.words = words;
  }

  /** Lines starting with `prefix` end at their first `"` (or line end) instead. Start-up only. */
  setRecordPrefix(prefix: Uint8Array): void {
    this.recordPrefix = prefix;
    this.prefix0 = prefix.length > 0 ? prefix[0]! : -1;
    this.prefix1 = prefix.length > 1 ? prefix[1]! : -1;
    this.prefixLast = prefix.length > 0 ? prefix[prefix.length - 1]! : -1;
  }

  /**
   * Hands the next `count` bytes to `sink` unscanned. With `skipLineEnds`, CR and LF before
   * the first of them are dropped (a modem may break the line after a record header).
   */
  expectRaw(count: number, sink: RawSink, skipLineEnds: boolean): void {
    if (count <= 0) return;
    this.mode = RAW;
    this.rawSink = sink;
    this.rawRemaining = count;
    this.rawSkipLineEnds = skipLineEnds;
  }

  /**
   * Ends a raw read early, from inside its sink: framing goes back to lines at `at`, which may
   * be before the head (bytes handed to the sink but not taken by it).
   */
  stopRaw(at: number): void {
    this.mode = LINE;
    this.rawSink = null;
    this.rawRemaining = 0;
    this.head = at;
    this.scanned = 0;
    this.record = UNDECIDED;
  }

  /** Forgets any partial line or raw read (after a modem reset). */
  reset(): void {
    this.mode = LINE;
    this.rawSink = null;
    this.rawRemaining = 0;
    this.record = UNDECIDED;
    this.promptWanted = false;
    this.scanned = 0;
  }

  /**
   * Joins `bytes[from, from + count)` (a host's read, in the stage) to the ring and consumes
   * everything that can be framed now; returns how many of the bytes were dropped for want of
   * room (0 but when the ring holds a line too long to frame yet). Bytes that do not fit at once
   * join a part at a time, each part framed before the next joins.
   *
   * The ring compacts lazily: an empty ring starts over at its start, free, and a partial line
   * is moved back only once the ring is half used (or the bytes would not fit): most reads then
   * join it where it is, without a copy, and the room after the tail stays ample for input that
   * arrives during the framing (a port answering inside `write`), which can only join there.
   *
   * The state it walks is kept in locals: XS reads a local for a fraction of what a property
   * costs. Only the head is written back before each sink call (a sink may read it), and only
   * the tail and the mode are read again after one (a sink may append input, or ask for a raw
   * read). No try/finally (it costs XS more than the rest of a read): a sink that throws leaves
   * `feeding` set, which only the engine's `receive` reads, and clears.
   */
  feed(from: number, count: number): number {
    const b = this.bytes;
    let head = this.head;
    let tail = this.tail;
    if (head === tail) head = tail = this.base;
    else if (tail > this.compactAt || count > this.limit - tail) {
      const base = this.base;
      b.copyWithin(base, head, tail);
      tail -= head - base;
      head = base;
    }
    if (count > this.limit - tail) {
      this.head = head;
      this.tail = tail;
      return this.feedInParts(from, count);
    }
    if (count > 0) {
      b.copyWithin(tail, from, from + count);
      tail += count;
    }
    this.tail = tail;
    this.feeding = true;
    const words = this.words;
    const sink = this.sink;
    const prefix0 = this.prefix0;
    const prefix1 = this.prefix1;
    let mode = this.mode;
    // Only a line left partial by the last read can have these set; every other starts undecided and unscanned.
    let record = this.record;
    let scanned = this.scanned;
    // Whether the fields still hold the partial line's state: cleared once that line is framed.
    let partial = record !== UNDECIDED || scanned !== 0;
    frame: for (;;) {
      if (mode !== LINE) {
        if (mode === RAW) {
          if (head < tail && this.rawSkipLineEnds) {
            while (head < tail && (b[head] === CR || b[head] === LF)) head++;
            if (head < tail) this.rawSkipLineEnds = false;
          }
          if (head >= tail) {
            this.head = head;
            break frame;
          }
          let n = tail - head;
          const due = this.rawRemaining;
          if (n > due) n = due;
          const raw = this.rawSink!;
          this.head = head + n;
          this.rawRemaining = due - n;
          if (due === n) {
            this.mode = LINE;
            this.rawSink = null;
          }
          raw.onRaw(b, head, head + n, due - n);
        } else {
          this.head = head;
          if (head >= tail) break frame;
          this.runDiscard(head, tail);
        }
        // (The line state is already clear: a raw read follows a framed line, and a dropped
        // line clears it when it starts being dropped.)
        head = this.head;
        tail = this.tail;
        mode = this.mode;
        continue;
      }
      // Line ends, and the space a modem may put after `>`, never start a line: skip them
      // here, a byte at a time on locals, rather than one pass of this loop each.
      let c = 0;
      while (head < tail) {
        c = b[head]!;
        if (c > SPACE || (c !== LF && c !== CR && c !== SPACE)) break;
        head++;
      }
      // (A partial line starts with none of them, so this never moves past bytes `scanned` counts.)
      if (head >= tail) {
        this.head = head;
        break frame;
      }
      // The end of what is framed next (PROMPT_FRAMED for the prompt), and where input goes on.
      let t: number;
      let next: number;
      if (c === PROMPT && this.promptWanted) {
        t = PROMPT_FRAMED;
        next = head + 1;
      } else {
        if (record === UNDECIDED) {
          // Most lines differ from the prefix in their first two bytes; only the rest compare fully.
          if (c !== prefix0 || (prefix1 >= 0 && tail - head >= 2 && b[head + 1] !== prefix1)) record = NOT_RECORD;
          else {
            const prefix = this.recordPrefix!;
            const n = prefix.length;
            // Lines that share the prefix's start (`+MQTTPUB:`, `+MQTTMSGI:`) mostly differ at its
            // end or in its middle.
            if (tail - head >= n) {
              record =
                b[head + n - 1] === this.prefixLast && b[head + (n >> 1)] === prefix[n >> 1] && matches(b, head, prefix) ? RECORD : NOT_RECORD;
            }
          }
        }
        const from = head + scanned;
        t = -1;
        if (record !== RECORD) {
          // The first CR or LF, four bytes per step through `words` (inline: this is every line's
          // search). A word holding no byte below 0x0E holds neither.
          if (from < tail) {
            let i = from & ~3;
            // 0x7F is neither below 0x0E nor a line end, and borrows nothing from the byte above it.
            let w = words[i >> 2]! | (SEVEN_FS & ((1 << ((from & 3) << 3)) - 1));
            for (;;) {
              if (((w - BELOW_0E) & ~w & HIGH_BITS) !== 0) {
                const cr = w ^ CRS;
                const lf = w ^ LFS;
                const z = (((cr - ONES) & ~cr) | ((lf - ONES) & ~lf)) & HIGH_BITS;
                if (z !== 0) {
                  const low = z & -z;
                  const k = i + (low === 0x80 ? 0 : low === 0x8000 ? 1 : low === 0x800000 ? 2 : 3);
                  // The word may run past `tail`, into bytes that are not input.
                  if (k < tail) t = k;
                  break;
                }
              }
              i += 4;
              if (i >= tail) break;
              w = words[i >> 2]!;
            }
          }
        } else t = headerEnd(words, from, tail);
        if (t < 0) {
          scanned = tail - head;
          if (scanned >= this.capacity) {
            scanned = 0;
            this.mode = DISCARD;
            this.dropped = tail - head;
            record = UNDECIDED;
            this.overflows++;
            head = tail;
          }
          this.head = head;
          this.record = record;
          this.scanned = scanned;
          break frame;
        }
        // A record header leaves its opening quote in the ring for the raw read that follows.
        next = record === RECORD && b[t] === QUOTE ? t : t + 1;
      }
      this.head = next;
      if (partial) {
        this.record = UNDECIDED;
        this.scanned = 0;
        partial = false;
      }
      record = UNDECIDED;
      scanned = 0;
      if (t !== PROMPT_FRAMED) sink.line(b, head, t);
      else {
        this.promptWanted = false;
        sink.prompt();
      }
      head = this.head;
      tail = this.tail;
      mode = this.mode;
    }
    this.feeding = false;
    return 0;
  }

  /** `feed` for bytes that do not fit after the ring's live bytes: a part at a time. */
  private feedInParts(from: number, count: number): number {
    const end = from + count;
    while (from < end) {
      let n = end - from;
      const free = this.capacity - (this.tail - this.head);
      if (n > free) n = free;
      if (n === 0) return end - from;
      this.feed(from, n); // fits: the ring is compacted by now
      from += n;
    }
    return 0;
  }

  /**
   * Input that arrives while a line is being handled (a port that answers inside `write`): it
   * joins the ring without compaction, which would move bytes under the handler, and the framing
   * loop already running picks it up. Returns how many bytes found no room.
   */
  append(src: Uint8Array, offset: number, length: number): number {
    const tail = this.tail;
    const room = this.limit - tail;
    const n = length < room ? length : room;
    const b = this.bytes;
    for (let k = 0; k < n; k++) b[tail + k] = src[offset + k]!;
    this.tail = tail + n;
    return length - n;
  }

  /**
   * The rest of a line longer than the ring, dropped up to its end. A byte at a time: it is
   * rare, and the framing loop's word search is written for lines.
   */
  private runDiscard(head: number, tail: number): void {
    const b = this.bytes;
    let t = head;
    while (t < tail && b[t] !== CR && b[t] !== LF) t++;
    this.dropped += t - head;
    if (t >= tail) {
      this.head = tail;
      return;
    }
    this.head = t + 1;
    this.mode = LINE;
    this.sink.overflow(this.dropped);
  }
}

function matches(b: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}

// Module functions rather than methods: XS reaches them through the closure, without walking
// an instance's properties to find the method.

/**
 * Index of the first `"`, CR or LF in b[from, to), or -1. Four bytes per step through `words`, a
 * view of the same bytes, as the framing loop's line-end search: word-aligned from the start,
 * the bytes of the first word before `from` made harmless, the exact byte found without a loop.
 */
function headerEnd(words: Int32Array, from: number, to: number): number {
  if (from >= to) return -1;
  let i = from & ~3;
  let w = words[i >> 2]! | (SEVEN_FS & ((1 << ((from & 3) << 3)) - 1));
  for (;;) {
    const q = w ^ QUOTES; // a zero byte where w has a quote
    if ((((w - BELOW_0E) & ~w) | ((q - ONES) & ~q)) & HIGH_BITS) {
      const cr = w ^ CRS;
      const lf = w ^ LFS;
      const z = (((cr - ONES) & ~cr) | ((lf - ONES) & ~lf) | ((q - ONES) & ~q)) & HIGH_BITS;
      if (z !== 0) {
        const k = i + byteIndex(z & -z);
        return k < to ? k : -1;
      }
    }
    i += 4;
    if (i >= to) return -1;
    w = words[i >> 2]!;
  }
}

/** Which byte of a word a single 0x80 bit marks (the words are little-endian views of bytes). */
function byteIndex(bit: number): number {
  return bit === 0x80 ? 0 : bit === 0x8000 ? 1 : bit === 0x800000 ? 2 : 3;
}
