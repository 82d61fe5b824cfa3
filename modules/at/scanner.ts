import {
  FRAMED_DROPPED,
  FRAMED_NOTHING,
  FRAMED_RECORD,
  FRAMED_UNJOINED,
  PREFIX_MAX,
  RECORD_UNDECIDED,
  STATE_BASE,
  STATE_DISCARDING,
  STATE_DROPPED,
  STATE_FEEDING,
  STATE_HEAD,
  STATE_LIMIT,
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
import { frameNext, joinInput } from "./kernels.ts";

/**
 * Receives a length-bound read, in pieces as the bytes arrive, until it has had the count it
 * asked for (it keeps that count). A piece is empty only when line ends that `expectRaw` skips
 * were all that arrived.
 */
export interface RawSink {
  onRaw(bytes: Uint8Array, start: number, end: number): void;
}

/** Where framed input goes. Offsets index `bytes` and are valid only during the call. */
export interface ScanSink {
  /** A line without its terminator. Never empty. */
  line(bytes: Uint8Array, start: number, end: number): void;
  /**
   * A record header `bytes[start, end)`: a line with the record prefix, ended by the quote that
   * opens its record, which stays at the head for the length-bound read that follows.
   */
  record(bytes: Uint8Array, start: number, end: number): void;
  /** The `>` data prompt, seen only while `promptWanted` was set. */
  prompt(): void;
  /** A line longer than the ring was dropped, `dropped` bytes of it. */
  overflow(dropped: number): void;
  /** `count` bytes of a read were dropped: the ring had no room for them. */
  dropped(count: number): void;
}

/**
 * Frames the receive ring's bytes: CR- or LF-terminated lines (so CRLF, bare LF and stray CR all
 * work, and empty lines vanish), the `>` prompt that has no line end, and exact-length raw reads
 * whose bytes are never scanned. A "record" prefix (`+MQTTREAD:`) marks a header that ends at
 * its first quote, because the quoted payload after it may contain line ends and is read by
 * length.
 *
 * The ring is a region of the engine's buffer that compacts instead of wrapping (see
 * `joinInput`), so a line is always contiguous and no one handles a line split across a wrap
 * point. Its head and tail live in the state words (kernel-abi.ts) with the partial line's
 * state, so the kernels keep them: framing a line passes no offsets and writes none back.
 */
export class Scanner {
  // Hot fields first, in the order a read's pass uses them: XS finds an instance's properties
  // by walking them in order.
  readonly bytes: Uint8Array;
  /** Views `bytes`' buffer whole; the state is its words from `stateAt` (see kernel-abi.ts). */
  private readonly words: Int32Array;
  private readonly stateAt: number;
  private readonly sink: ScanSink;
  /** The length-bound read's sink; kept after the read (the kernel knows when it ends). */
  private rawSink: RawSink | null = null;

  /**
   * `words` views the same buffer as `bytes`; `stateAt` is where STATE_WORDS of it are the
   * scanner's; the ring is `bytes[base, base + capacity)`.
   */
  constructor(bytes: Uint8Array, base: number, capacity: number, sink: ScanSink, words: Int32Array, stateAt: number) {
    this.sink = sink;
    this.bytes = bytes;
    this.words = words;
    this.stateAt = stateAt;
    words[stateAt + STATE_HEAD] = words[stateAt + STATE_TAIL] = words[stateAt + STATE_BASE] = base;
    words[stateAt + STATE_LIMIT] = base + capacity;
    this.clearLine();
  }

  /**
   * A feed is framing (kept by the kernels, see STATE_FEEDING): input that arrives meanwhile (a
   * port answering inside `write`) is appended.
   */
  get feeding(): boolean {
    return this.words[this.stateAt + STATE_FEEDING] !== 0;
  }

  set feeding(feeding: boolean) {
    this.words[this.stateAt + STATE_FEEDING] = feeding ? 1 : 0;
  }

  /** Start of the live bytes: everything before it is consumed. */
  get head(): number {
    return this.words[this.stateAt + STATE_HEAD]!;
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
    this.rawSink = sink;
    this.words[this.stateAt + STATE_RAW_LEFT] = count;
    this.words[this.stateAt + STATE_RAW_SKIP] = skipLineEnds ? 1 : 0;
  }

  /**
   * Ends a raw read early, from inside its sink: framing goes back to lines at `at`, which may
   * be before the head (bytes handed to the sink but not taken by it).
   */
  stopRaw(at: number): void {
    this.words[this.stateAt + STATE_HEAD] = at;
    this.clearLine();
  }

  /** Forgets any partial line, raw read or line being dropped (after a modem reset). */
  reset(): void {
    this.promptWanted = false;
    this.clearLine();
  }

  /** Forgets what was learnt of a partial line, and any raw read or line being dropped. */
  private clearLine(): void {
    const words = this.words;
    const at = this.stateAt;
    this.rawSink = null;
    words[at + STATE_SCANNED] = 0;
    words[at + STATE_RECORD] = RECORD_UNDECIDED;
    words[at + STATE_RAW_LEFT] = 0;
    words[at + STATE_RAW_SKIP] = 0;
    words[at + STATE_DISCARDING] = 0;
  }

  /**
   * Joins `bytes[from, from + count)` (a host's read, in the stage) to the ring and consumes
   * everything that can be framed now. Bytes that do not fit at once join a part at a time,
   * each part framed before the next joins; any the ring has no room for even then are dropped,
   * and the sink told.
   *
   * The kernels join and frame (native code on the device), keeping the ring's state, `feeding`
   * with it; a sink that appends input or asks for a raw read changes it there too. No
   * try/finally (it costs XS more than the rest of a read): a sink that throws leaves `feeding`
   * set, which only the engine's `receive` reads, and clears.
   */
  feed(from: number, count: number): void {
    const b = this.bytes;
    const words = this.words;
    const stateAt = this.stateAt;
    const sink = this.sink;
    // The read joins the ring, and what comes first is framed, in one call.
    let r = joinInput(b, words, stateAt, from, count);
    for (;;) {
      if (r >= 0x10000) {
        // (The low 15 bits: the end.)
        if ((r & FRAMED_RECORD) === 0) sink.line(b, r >>> 16, r & 0x7fff);
        else sink.record(b, r >>> 16, r & 0x7fff);
      }
      else if (r < FRAMED_UNJOINED) {
        const piece = ~r;
        this.rawSink!.onRaw(b, piece >>> 16, piece & 0x7fff);
      } else if (r === FRAMED_NOTHING) break;
      else if (r >= 0) sink.prompt();
      else if (r === FRAMED_DROPPED) sink.overflow(words[stateAt + STATE_DROPPED]!);
      else {
        // The rest of the read, now that everything before it is framed; dropped if there is
        // still no room for any of it.
        const left = words[stateAt + STATE_UNJOINED]!;
        if (left === count) {
          words[stateAt + STATE_UNJOINED] = 0;
          words[stateAt + STATE_FEEDING] = 0;
          sink.dropped(left);
          return;
        }
        from += count - left;
        count = left;
        r = joinInput(b, words, stateAt, from, count);
        continue;
      }
      r = frameNext(b, words, stateAt);
    }
  }

  /**
   * Input that arrives while a line is being handled (a port that answers inside `write`): it
   * joins the ring without compaction, which would move bytes under the handler, and the framing
   * loop already running picks it up. Returns how many bytes found no room.
   */
  append(src: Uint8Array, offset: number, length: number): number {
    const words = this.words;
    const tail = words[this.stateAt + STATE_TAIL]!;
    const room = words[this.stateAt + STATE_LIMIT]! - tail;
    const n = length < room ? length : room;
    const b = this.bytes;
    for (let k = 0; k < n; k++) b[tail + k] = src[offset + k]!;
    words[this.stateAt + STATE_TAIL] = tail + n;
    return length - n;
  }
}
