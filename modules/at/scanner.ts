import { CR, LF } from "./bytes.ts";
import {
  FRAMED_RECORD,
  PREFIX_MAX,
  RECORD_UNDECIDED,
  STATE_PREFIX,
  STATE_PREFIX_LENGTH,
  STATE_PROMPT_WANTED,
  STATE_RECORD,
  STATE_SCANNED,
} from "./kernel-abi.ts";
import { frameLine } from "./kernels.ts";
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

/**
 * Frames the ring's bytes: CR- or LF-terminated lines (so CRLF, bare LF and stray CR all work,
 * and empty lines vanish), the `>` prompt that has no line end, and exact-length raw reads whose
 * bytes are never scanned. A "record" prefix (`+MQTTREAD:`) marks a header that ends at its
 * first quote, because the quoted payload after it may contain line ends and is read by length.
 */
export class Scanner implements ByteRing {
  // Hot fields first, in the order a read's pass uses them: XS finds an instance's properties
  // by walking them in order.
  head: number;
  tail: number;
  private mode = LINE;
  readonly bytes: Uint8Array;
  /** Views `bytes`' buffer whole; the line state is its words from `stateAt` (see kernel-abi.ts). */
  private readonly words: Int32Array;
  private readonly stateAt: number;
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
  private dropped = 0;
  /** Lines dropped for exceeding the ring. */
  overflows = 0;

  /** `words` views the same buffer as `bytes`; `stateAt` is where STATE_WORDS of it are the scanner's. */
  constructor(bytes: Uint8Array, base: number, capacity: number, sink: ScanSink, words: Int32Array, stateAt: number) {
    this.head = base;
    this.tail = base;
    this.sink = sink;
    this.bytes = bytes;
    this.words = words;
    this.stateAt = stateAt;
    this.base = base;
    this.capacity = capacity;
    this.limit = base + capacity;
    this.compactAt = base + (capacity >> 1);
    this.clearLine();
  }

  /** Set by the command channel while a command waits for `>`; framing the prompt clears it. */
  get promptWanted(): boolean {
    return this.words[this.stateAt + STATE_PROMPT_WANTED] !== 0;
  }

  set promptWanted(wanted: boolean) {
    this.words[this.stateAt + STATE_PROMPT_WANTED] = wanted ? 1 : 0;
  }

  /** Lines starting with `prefix` end at their first `"` (or line end) instead. Start-up only. */
  setRecordPrefix(prefix: Uint8Array): void {
    if (prefix.length > PREFIX_MAX) throw new Error(`record prefix longer than ${PREFIX_MAX} bytes`);
    const at = (this.stateAt + STATE_PREFIX) << 2;
    for (let i = 0; i < prefix.length; i++) this.bytes[at + i] = prefix[i]!;
    this.words[this.stateAt + STATE_PREFIX_LENGTH] = prefix.length;
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
    this.clearLine();
  }

  /** Forgets any partial line or raw read (after a modem reset). */
  reset(): void {
    this.mode = LINE;
    this.rawSink = null;
    this.rawRemaining = 0;
    this.promptWanted = false;
    this.clearLine();
  }

  /** Forgets what was learnt of a partial line. */
  private clearLine(): void {
    this.words[this.stateAt + STATE_SCANNED] = 0;
    this.words[this.stateAt + STATE_RECORD] = RECORD_UNDECIDED;
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
   * Lines are framed by `frameLine`, native code on the device. The head, tail and mode are
   * kept in locals between sink calls; only the head is written back before each (a sink may
   * read it), and only the tail and the mode are read again after one (a sink may append
   * input, or ask for a raw read). No try/finally (it costs XS more than the rest of a read): a
   * sink that throws leaves `feeding` set, which only the engine's `receive` reads, and clears.
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
    const stateAt = this.stateAt;
    const sink = this.sink;
    let mode = this.mode;
    for (;;) {
      if (mode === LINE) {
        const r = frameLine(b, words, stateAt, head, tail);
        if (r < 0) {
          // Nothing more to frame: a partial line (or none) from `-1 - r` on.
          head = -1 - r;
          if (tail - head >= this.capacity) head = this.overflowed(head, tail);
          this.head = head;
          break;
        }
        if (r < 0x10000) {
          this.head = r + 1;
          sink.prompt();
        } else {
          const end = r & 0x7fff;
          // A record header leaves its opening quote in the ring for the raw read that follows.
          this.head = (r & FRAMED_RECORD) !== 0 ? end : end + 1;
          sink.line(b, r >>> 16, end);
        }
      } else if (mode === RAW) {
        if (head < tail && this.rawSkipLineEnds) {
          while (head < tail && (b[head] === CR || b[head] === LF)) head++;
          if (head < tail) this.rawSkipLineEnds = false;
        }
        if (head >= tail) {
          this.head = head;
          break;
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
        if (head >= tail) break;
        this.runDiscard(head, tail);
      }
      head = this.head;
      tail = this.tail;
      mode = this.mode;
    }
    this.feeding = false;
    return 0;
  }

  /** A line has filled the ring without ending: it is dropped up to its end. Returns the new head. */
  private overflowed(head: number, tail: number): number {
    this.clearLine();
    this.mode = DISCARD;
    this.dropped = tail - head;
    this.overflows++;
    return tail;
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
   * The rest of a line longer than the ring, dropped up to its end. A byte at a time here: it
   * is rare.
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
