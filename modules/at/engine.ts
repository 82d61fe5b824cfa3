import { LPAREN, PROMPT, SPACE, ascii } from "./bytes.ts";
import { CommandChannel, RECORD_SIZE, STEP_IN, STEP_SYNCING, type ChannelListener, type CommandOwner } from "./channel.ts";
import type { CommandEncoder } from "./encoder.ts";
import { Fields, SPANS_SIZE } from "./fields.ts";
import { MAX_BUFFER, STATE_LINES, STATE_WORDS } from "./kernel-abi.ts";
import type { Clock, TxPort } from "./port.ts";
import {
  NOTICE_FILLER,
  NOTICE_INPUT_DROPPED,
  NOTICE_LINE_TOO_LONG,
  NOTICE_PROMPT_OVERDUE,
  NOTICE_RECORD_CUT,
  NOTICE_RECORD_MALFORMED,
  NOTICE_RECORD_SKIPPED,
  NOTICE_RESYNCED,
  NOTICE_STALE_LINE,
  NOTICE_SYNC_TIMEOUT,
  NOTICE_TIMEOUT,
  NOTICE_UNHANDLED_LINE,
  NOTICE_UNMATCHED,
  RESULT_CME_ERROR,
  RESULT_CMS_ERROR,
  RESULT_ERROR,
  RECORD_CUT,
  RECORD_MALFORMED,
  RECORD_OK,
  RECORD_TOO_LONG,
  RESULT_OK,
  STAT_COUNT,
  STAT_DROPPED,
  STAT_ECHOES,
  STAT_FILLER_BYTES,
  STAT_LINES,
  STAT_OVERFLOWS,
  STAT_PROMPTS_OVERDUE,
  STAT_RECORDS,
  STAT_RECORDS_CUT,
  STAT_RECORDS_MALFORMED,
  STAT_RECORDS_SKIPPED,
  STAT_RESYNCS,
  STAT_STALE_LINES,
  STAT_SYNC_TIMEOUTS,
  STAT_TIMEOUTS,
  STAT_UNHANDLED,
  STAT_UNMATCHED,
} from "./results.ts";
import { RecordReader, TOPIC_ROOM, type RecordListener, type RecordSink } from "./records.ts";
import { secretAt } from "./redact.ts";
import { Scanner, type ScanSink } from "./scanner.ts";
import { MAX_KEYS, TokenTable } from "./tokens.ts";
import { tokenKey } from "./kernels.ts";

export type { CommandOwner } from "./channel.ts";
export type { CommandEncoder } from "./encoder.ts";
export type { RecordSink } from "./records.ts";

/** Receives unsolicited lines of one token. `body` is where the text after `TOKEN: ` starts. */
export interface LineHandler {
  onLine(key: number, bytes: Uint8Array, body: number, end: number): void;
}


/**
 * Decides whether a final error belongs to no command: some firmware reports a broker's refusal
 * (`ERROR: 700`..`704`) after `AT+MQTTOPEN` already got `OK`, while another command is in flight.
 */
export type ErrorClaim = (code: number, owner: CommandOwner | null, tag: number) => boolean;

/**
 * Told of engine events worth logging; `bytes[start, end)` is the line concerned, if any, cut
 * short before a secret (print it with `lineText` from redact.ts, which marks the cut).
 */
export type NoticeListener = (notice: number, bytes: Uint8Array, start: number, end: number) => void;

export interface AtEngineOptions {
  tx: TxPort;
  clock: Clock;
  /**
   * Longest line the engine can hold (bytes). Length-bound reads are not limited by it. With
   * `stageSize`, at most MAX_BUFFER (32 KB) less a few words: the kernels address no further.
   */
  rxCapacity?: number;
  /** Room for queued command lines and their data (bytes). */
  txCapacity?: number;
  /** Commands that can wait at once, including the one in flight. */
  queueDepth?: number;
  /** Size of `rxStage`: the most a host reads at once (the ESP32 UART FIFO holds 128). */
  stageSize?: number;
  /** Output budget before the first `writable(count)`; leave unset for ports without a FIFO limit. */
  txBudget?: number;
  /**
   * The command that proves the conversation is back in step after a command was given up, and
   * the token of its answer line. The answer is recognised by that token followed by `(`, so the
   * command must be a test form (`=?`), which lists ranges in parentheses, that nothing else in
   * the firmware sends. Default `AT+CSQ=?` / `+CSQ` (3GPP TS 27.007, answered by every modem:
   * `+CSQ: (0-31,99),(0-7,99)`; the firmware polls signal with `AT+CSQ`, never its test form).
   * A modem that refuses the form answers each attempt with an error: after two such attempts
   * in a row, an error followed by quiet is taken as the answer.
   */
  sync?: { line: string; token: string };
  /** How long the line must be silent before step is restored, and after the sync's answer (ms). */
  quietMs?: number;
  /** How long a sync may go unanswered before it is sent again (ms). */
  syncTimeoutMs?: number;
  /**
   * How much longer than its timeout a command waits for its `>` before it is given up (ms):
   * longer than the modem may stall, since after it, filler goes where the modem may collect a
   * payload.
   */
  promptGraceMs?: number;
  /** How long the line may fall silent in the middle of a `+MQTTREAD` record before it is cut (ms). */
  recordGapMs?: number;
}

/** Words before the command queue's table in the engine's buffer: the counters, and spares. */
const STATS = (STAT_COUNT + 3) & ~3;
/** Keys of the final results: registered first, in this order, by the constructor. */
const KEY_OK = 0;
const KEY_ERROR = 1;
const KEY_CME = 2;
const KEY_CMS = 3;

/**
 * Default transmit region: the longest command (a publish or will of a 1024-byte payload in the
 * length form, with a 255-byte topic: 1,305 bytes) and, queued behind it, the longest command of
 * the other client id's connect (~290 bytes), with room for the short network ones. Two
 * publishes pipeline as long as both fit; a second that does not waits for the first to end.
 */
const TX_CAPACITY = 1664;

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The AT engine: UART bytes -> ring -> scanner -> line routing (final results to the command in
 * flight, its own responses to its owner, every other line to the unsolicited handlers), and
 * commands -> transmit region -> UART. All buffers are regions of one ArrayBuffer made here;
 * after construction the byte, line and command paths allocate nothing.
 *
 * Lines are framed by their line ends, so a line cannot hold CR or LF: a mode-0 `+MQTTMSG`
 * line is handed over as it is, up to its first line end, and a payload holding one is cut
 * there (the rest reads as lines of its own). Only mode 1's `+MQTTREAD` records, framed by
 * their lengths (`readRecords`), carry any byte.
 */
export class AtEngine implements ScanSink, ChannelListener, RecordListener {
  // Fields in the order the byte and line paths use them: XS finds an instance's properties by
  // walking them in order, so the hot ones come first.
  /** Set when the channel leaves step: input then restarts the quiet it waits for (see `watch`). */
  private watching = false;
  private readonly scanner: Scanner;
  /** The whole buffer: counters, command table, stage, receive ring, transmit region. */
  readonly bytes: Uint8Array;
  private readonly stageAt: number;
  private readonly channel: CommandChannel;
  private records: RecordReader | null = null;
  /** The counters, at the indices `STAT_*` (results.ts) name, but for STAT_LINES and STAT_RECORDS (see `stats`). */
  private readonly counts: Int32Array;
  private readonly tokens: TokenTable;
  /**
   * The line handlers; a key's route in the token table is 1 + the index of its handler here,
   * or 0: most keys share one handler, and the token kernel finds the route with the key.
   */
  private readonly handlers: LineHandler[] = [];
  private recordKey = -2; // no key: lookups give -1 for an unknown token
  /**
   * Records read whole, the common end of one: counted here, not in `counts`, as XS updates a
   * typed array's element for several times a field's cost (see `stats`).
   */
  private recordsRead = 0;
  private recordBody = 0;
  private readonly recordGapMs: number;
  /** Where a record's topic is kept, in `bytes`. */
  private readonly topicAt: number;
  private readonly clock: Clock;
  /** Token of the sync command's answer. */
  private readonly syncKey: number;
  /** Shared field parser for handlers; valid until the next line. */
  readonly fields: Fields;
  /** Where a host reads UART bytes into before calling `received(count)`. */
  readonly rxStage: Uint8Array;
  onNotice: NoticeListener | null = null;
  /** Final errors this claims go to the handler listening on the `ERROR` token instead of the command. */
  errorClaim: ErrorClaim | null = null;

  constructor(options: AtEngineOptions) {
    // One buffer, laid out as: counters, the scanner's line state, the stage, the receive ring,
    // the command queue's table, the field parser's spans, the transmit region, a record's
    // topic. One Int32Array over all of it serves as the counters, the line
    // state, the queue's table and the spans: in XS each typed array costs heap slots of its own.
    // The ring comes early: the kernels pack its offsets in 15 bits (MAX_BUFFER).
    const depth = options.queueDepth ?? 8;
    const stateAt = STATS;
    const stageAt = (stateAt + STATE_WORDS) << 2;
    const stage = align4(options.stageSize ?? 128);
    const rx = align4(options.rxCapacity ?? 1024);
    const tx = align4(options.txCapacity ?? TX_CAPACITY);
    const ringAt = stageAt + stage;
    if (ringAt + rx > MAX_BUFFER) throw new RangeError(`AtEngine: stageSize + rxCapacity must be at most ${MAX_BUFFER - stageAt} bytes`);
    const tableAt = (ringAt + rx) >> 2;
    const spansAt = tableAt + depth * RECORD_SIZE;
    const txAt = (spansAt + SPANS_SIZE) << 2;
    this.topicAt = txAt + tx;
    this.bytes = new Uint8Array(this.topicAt + TOPIC_ROOM);
    this.clock = options.clock;
    this.recordGapMs = options.recordGapMs ?? 2000;
    const words = new Int32Array(this.bytes.buffer);
    this.counts = words;
    this.fields = new Fields(words, spansAt, this.bytes);
    this.tokens = new TokenTable();
    this.rxStage = new Uint8Array(this.bytes.buffer, stageAt, stage);
    this.stageAt = stageAt;
    this.scanner = new Scanner(this.bytes, ringAt, rx, this, words, stateAt);
    this.channel = new CommandChannel(
      this.bytes,
      words,
      tableAt,
      txAt,
      tx,
      depth,
      options.tx,
      options.clock,
      this.scanner,
      options.txBudget ?? Number.POSITIVE_INFINITY,
      this,
      {
        sync: ascii(`${options.sync?.line ?? "AT+CSQ=?"}\r`),
        quietMs: options.quietMs ?? 500,
        syncTimeoutMs: options.syncTimeoutMs ?? 2000,
        promptGraceMs: options.promptGraceMs ?? 20_000,
      },
    );
    this.tokens.register("OK");
    this.tokens.register("ERROR");
    this.tokens.register("+CME ERROR");
    this.tokens.register("+CMS ERROR");
    this.syncKey = this.tokens.register(options.sync?.token ?? "+CSQ");
  }

  // ---- set-up (allocates; call at start-up) ----

  /** The key of a line token such as `+MQTTOPEN` or `RDY`. */
  token(name: string): number {
    return this.tokens.register(name);
  }

  tokenName(key: number): string {
    return this.tokens.name(key);
  }

  /** Sends every unsolicited line of `key` to `handler`. */
  listen(key: number, handler: LineHandler): void {
    if (key < 0 || key >= MAX_KEYS) return;
    const handlers = this.handlers;
    let i = handlers.indexOf(handler);
    if (i < 0) i = handlers.push(handler) - 1;
    this.tokens.route(key, i + 1);
  }

  /**
   * Frames the records of lines starting with `prefix` (`+MQTTREAD:`) by their lengths and hands
   * their messages to `sink`, whatever command is in flight: see `RecordReader`. A payload longer
   * than `payloadMax` is read past, not handed over. Start-up only; one prefix per engine.
   */
  readRecords(prefix: string, sink: RecordSink, payloadMax: number): void {
    const colon = prefix.indexOf(":");
    if (colon !== prefix.length - 1) throw new Error(`not a record prefix: ${prefix}`);
    this.scanner.setRecordPrefix(ascii(prefix));
    this.recordKey = this.tokens.register(prefix.slice(0, colon));
    this.recordBody = prefix.length;
    this.records = new RecordReader(this.bytes, this.topicAt, this.scanner, this.fields, sink, payloadMax, this, this.clock, this.recordGapMs);
  }

  // ---- input ----

  /**
   * `count` bytes were read into `rxStage`. Only `rxStage[0, count)` is read, and only during
   * this call, so a host may use the rest of the stage for its own purposes (the ESP32 host
   * stages output there).
   */
  received(count: number): void {
    if (this.watching) this.watch();
    this.scanner.feed(this.stageAt, count);
  }

  /**
   * Input arrived while out of step, where the channel waits for quiet; clears `watching` once
   * back in step.
   */
  private watch(): void {
    if (this.channel.step !== STEP_IN) this.channel.heard();
    else this.watching = false;
  }

  /**
   * Counters, at the indices `STAT_*` (results.ts) name. (The array goes on past them: it is a
   * view of the engine's whole buffer.)
   */
  get stats(): Int32Array {
    const counts = this.counts;
    counts[STAT_LINES] = counts[STATS + STATE_LINES]!; // (the kernel counts them)
    counts[STAT_RECORDS] = this.recordsRead;
    return counts;
  }

  /** Feeds bytes from a caller's buffer (hosts that receive fresh buffers, tests). */
  receive(src: Uint8Array, offset = 0, length = src.length - offset): void {
    if (this.scanner.feeding) {
      const lost = this.scanner.append(src, offset, length);
      if (lost !== 0) this.dropped(lost);
      return;
    }
    const stage = this.rxStage;
    const size = stage.length;
    const end = offset + length;
    try {
      for (let i = offset; i < end; ) {
        let n = end - i;
        if (n > size) n = size;
        for (let k = 0; k < n; k++) stage[k] = src[i + k]!;
        i += n;
        this.received(n);
      }
    } finally {
      this.scanner.feeding = false;
    }
  }

  // ---- output ----

  /** The UART can take `count` more bytes now. */
  writable(count: number): void {
    this.channel.writable(count);
  }

  /**
   * Begins a command owned by `owner`; encode it and call `send()`. Null when the queue is full.
   * `responseKey`: token of its intermediate response lines, or -1.
   */
  command(owner: CommandOwner, tag: number, responseKey: number, timeoutMs: number): CommandEncoder | null {
    return this.channel.begin(owner, tag, responseKey, timeoutMs);
  }

  /** Queues the command begun last. False if a value could not be encoded or it did not fit. */
  send(): boolean {
    return this.channel.commit();
  }

  get queued(): number {
    return this.channel.queued;
  }

  get queueFree(): number {
    return this.channel.free;
  }

  get busy(): boolean {
    return this.channel.inFlight;
  }

  /**
   * False from the moment a command is given up until a sync command's answer, followed by
   * quiet, proves that no late answer is still to come (NOTICE_RESYNCED). Meanwhile queued
   * commands wait, and final results are counted as unmatched instead of ending anything.
   */
  get inStep(): boolean {
    return this.channel.step === STEP_IN;
  }

  /**
   * Gives up the command in flight (it ends RESULT_CANCELLED) and restores step before the next
   * goes out: for a caller with its own reason to doubt the conversation.
   */
  resync(): void {
    this.channel.resync();
    this.watching = true;
  }

  /** Cancels every queued command and forgets partial input (the modem rebooted). */
  reset(): void {
    this.records?.cut();
    this.scanner.reset();
    this.channel.cancelAll();
  }

  // ---- ScanSink: called by the scanner ----

  line(bytes: Uint8Array, start: number, end: number): void {
    const c = bytes[start]!;
    if (c !== 0x2b) {
      // Not a `+` line (most are).
      if (c === 0x4f && end - start === 2 && bytes[start + 1] === 0x4b) {
        // `OK`, a third of all lines: no lookup, straight to the command in flight.
        if (!this.channel.finish(RESULT_OK, -1)) this.unmatched(start, end);
        return;
      }
      if ((c | 0x20) === 0x61 && end - start >= 2 && (bytes[start + 1]! | 0x20) === 0x74) {
        // "AT...": the modem echoing a command back. No response starts this way.
        this.counts[STAT_ECHOES]++;
        return;
      }
      if (c === PROMPT) {
        // A `>` the scanner did not take as a prompt: no command in step was waiting for one.
        this.unmatched(start, end);
        return;
      }
    }
    // The table's kernel, called here: a method around it would cost more than the call.
    const r = tokenKey(bytes, start, end, this.tokens.names);
    const key = (r & 0xff) - 1;
    const body = r >> 16;
    if (key >= 0 && key <= KEY_CMS) {
      this.final(key, bytes, body, end, start);
      return;
    }
    // A record header alone on its line (its record follows on the next); the test form's
    // answer, `+MQTTREAD: (1,2)`, is routed as any response.
    if (key === this.recordKey && this.records!.header(bytes, body, end, false)) return;
    const channel = this.channel;
    if (channel.step !== STEP_IN && this.outOfStep(key, bytes, start, body, end)) return;
    if (key < 0 && secretAt(bytes, start, end) >= 0) {
      // A command echoed after stray bytes (`zzAT+MQTTUSER=...`): no owner sees its password.
      this.counts[STAT_ECHOES]++;
      this.notice(NOTICE_UNHANDLED_LINE, start, end);
      return;
    }
    const owner = channel.current;
    if (owner !== null && (key < 0 || key === channel.currentKey)) {
      if (owner.onResponse(channel.currentTag, key, bytes, key < 0 ? start : body, end)) return;
    }
    const route = (r >> 8) & 0xff;
    if (route !== 0) {
      this.handlers[route - 1]!.onLine(key, bytes, body, end);
      return;
    }
    this.counts[STAT_UNHANDLED]++;
    this.notice(NOTICE_UNHANDLED_LINE, start, end);
  }

  record(bytes: Uint8Array, start: number, end: number): void {
    let body = start + this.recordBody;
    while (body < end && bytes[body] === SPACE) body++;
    this.records!.header(bytes, body, end, true);
  }

  prompt(): void {
    this.channel.prompt();
  }

  dropped(count: number): void {
    this.counts[STAT_DROPPED] += count;
    this.notice(NOTICE_INPUT_DROPPED, 0, 0);
  }

  overflow(): void {
    this.counts[STAT_OVERFLOWS]++;
    this.notice(NOTICE_LINE_TOO_LONG, 0, 0);
  }

  private final(key: number, bytes: Uint8Array, body: number, end: number, start: number): void {
    let result = RESULT_OK;
    let code = -1;
    if (key !== KEY_OK) {
      result = key === KEY_ERROR ? RESULT_ERROR : key === KEY_CME ? RESULT_CME_ERROR : RESULT_CMS_ERROR;
      if (body > start) {
        this.fields.parse(bytes, body, end);
        code = this.fields.int(0);
      }
    }
    const claim = this.errorClaim;
    if (code >= 0 && claim !== null && claim(code, this.channel.current, this.channel.currentTag)) {
      const route = this.tokens.routeOf(KEY_ERROR);
      if (route !== 0) this.handlers[route - 1]!.onLine(KEY_ERROR, bytes, body, end);
      return;
    }
    if (!this.channel.finish(result, code)) this.unmatched(start, end);
  }

  /**
   * A line while out of step, other than a final result: the sync's answer line is the channel's;
   * a line of the given-up command's response token may be its late answer, so it is dropped
   * rather than taken for an unsolicited one. True if the line was consumed here.
   */
  private outOfStep(key: number, bytes: Uint8Array, start: number, body: number, end: number): boolean {
    const channel = this.channel;
    if (key === this.syncKey && channel.step >= STEP_SYNCING && bytes[body] === LPAREN) {
      channel.syncAnswered = true;
      return true;
    }
    if (key >= 0 && key === channel.staleKey) {
      this.counts[STAT_STALE_LINES]++;
      this.notice(NOTICE_STALE_LINE, start, end);
      return true;
    }
    return false;
  }

  private unmatched(start: number, end: number): void {
    this.counts[STAT_UNMATCHED]++;
    this.notice(NOTICE_UNMATCHED, start, end);
  }

  // ---- ChannelListener: called by the command channel ----

  timedOut(): void {
    this.watching = true; // out of step now
    this.counts[STAT_TIMEOUTS]++;
    this.notice(NOTICE_TIMEOUT, 0, 0);
  }

  promptOverdue(): void {
    this.counts[STAT_PROMPTS_OVERDUE]++;
    this.notice(NOTICE_PROMPT_OVERDUE, 0, 0);
  }

  syncTimedOut(): void {
    this.counts[STAT_SYNC_TIMEOUTS]++;
    this.notice(NOTICE_SYNC_TIMEOUT, 0, 0);
  }

  filled(count: number): void {
    this.counts[STAT_FILLER_BYTES] += count;
    this.notice(NOTICE_FILLER, 0, 0);
  }

  resynced(): void {
    this.counts[STAT_RESYNCS]++;
    this.notice(NOTICE_RESYNCED, 0, 0);
  }

  // ---- RecordListener: called by the record reader ----

  recordEnded(status: number, topicStart: number, topicEnd: number): void {
    if (status === RECORD_OK) this.recordsRead++;
    else if (status === RECORD_MALFORMED) {
      this.counts[STAT_RECORDS_MALFORMED]++;
      this.notice(NOTICE_RECORD_MALFORMED, topicStart, topicEnd);
    } else if (status === RECORD_TOO_LONG) {
      this.counts[STAT_RECORDS_SKIPPED]++;
      this.notice(NOTICE_RECORD_SKIPPED, topicStart, topicEnd);
    } else if (status === RECORD_CUT) {
      this.counts[STAT_RECORDS_CUT]++;
      this.notice(NOTICE_RECORD_CUT, topicStart, topicEnd);
    }
  }

  /** Tells the listener; a line holding a secret is cut before it (see `secretAt`), so no log can show it. */
  private notice(notice: number, start: number, end: number): void {
    const listener = this.onNotice;
    if (listener === null) return;
    const cut = end > start ? secretAt(this.bytes, start, end) : -1;
    listener(notice, this.bytes, start, cut >= 0 ? cut : end);
  }
}
