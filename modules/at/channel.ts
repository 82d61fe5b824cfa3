import { CommandEncoder } from "./encoder.ts";
import type { AlarmTimer, Clock, TxPort } from "./port.ts";
import { RESULT_CANCELLED, RESULT_TIMEOUT } from "./results.ts";
import type { Scanner } from "./scanner.ts";

/** Who issued a command. An object with methods, not a closure, so commands allocate nothing. */
export interface CommandOwner {
  /**
   * A line that may answer the command in flight: one carrying its response token, or one whose
   * token is unknown (`key` -1). Return false to pass it on to the unsolicited-line handlers.
   */
  onResponse(tag: number, key: number, bytes: Uint8Array, body: number, end: number): boolean;
  /** The command ended: a `RESULT_*` and the error code if the modem gave one (else -1). */
  onFinal(tag: number, result: number, code: number): void;
}

/** Told when a command goes unanswered (an object, not a closure: a closure costs heap slots). */
export interface TimeoutListener {
  timedOut(tag: number): void;
}

const IDLE = 0;
const SENDING_LINE = 1;
const AWAITING_PROMPT = 2;
const SENDING_DATA = 3;
const AWAITING_RESULT = 4;

/** A queued command's record in the channel's table: five numbers per queue place. */
const TAG = 0;
const KEY = 1;
const TIMEOUT = 2;
const LINE_LENGTH = 3;
const DATA_LENGTH = 4;
export const RECORD_SIZE = 5;

/**
 * Commands wait in a fixed queue with their encoded bytes in a fixed transmit region; one is in
 * flight at a time. Output goes to the port only within the budget the UART granted.
 */
export class CommandChannel {
  /**
   * The command in flight: its owner (null when idle), tag and response key (-2 when idle).
   * Plain fields, not getters, read by the engine for every line; and first, with the other
   * fields the per-command path uses: XS finds an instance's properties by walking them in order.
   */
  current: CommandOwner | null = null;
  currentTag = 0;
  currentKey = -2;
  private phase = IDLE;
  private first = 0;
  private count = 0;
  private readonly table: Int32Array;
  private readonly tableAt: number;
  private readonly owners: (CommandOwner | null)[];
  readonly depth: number;
  private txHead: number;
  private txTail: number;
  private readonly txBase: number;
  private sent = 0;
  /** Bytes the port may take now. Unlimited unless the host reports a FIFO budget. */
  budget: number;
  /** Counts commands started, so a write loop can tell its command is over. */
  private serial = 0;
  private readonly scanner: Scanner;
  private readonly timer: AlarmTimer;
  private readonly clock: Clock;
  private readonly tx: TxPort;
  private readonly bytes: Uint8Array;
  private deadline = 0;
  private encoding = false;
  private pumping = false;
  private pumpAgain = false;
  private promptEarly = false;
  private readonly encoder: CommandEncoder;
  private readonly txCapacity: number;
  private readonly listener: TimeoutListener;

  /**
   * `table[tableAt, tableAt + depth * RECORD_SIZE)` holds the queued commands' numbers: a region
   * of an array the engine shares out, since every typed array costs heap slots of its own.
   */
  constructor(
    bytes: Uint8Array,
    table: Int32Array,
    tableAt: number,
    txBase: number,
    txCapacity: number,
    depth: number,
    tx: TxPort,
    clock: Clock,
    scanner: Scanner,
    budget: number,
    listener: TimeoutListener,
  ) {
    this.table = table;
    this.tableAt = tableAt;
    this.owners = new Array<CommandOwner | null>(depth).fill(null);
    this.depth = depth;
    this.txHead = txBase;
    this.txTail = txBase;
    this.txBase = txBase;
    this.budget = budget;
    this.scanner = scanner;
    this.timer = clock.timer(() => this.expire());
    this.clock = clock;
    this.tx = tx;
    this.bytes = bytes;
    this.encoder = new CommandEncoder(bytes);
    this.txCapacity = txCapacity;
    this.listener = listener;
  }

  /** Commands queued, including the one in flight. */
  get queued(): number {
    return this.count;
  }

  get inFlight(): boolean {
    return this.phase !== IDLE;
  }

  /** Free queue places. */
  get free(): number {
    return this.depth - this.count;
  }

  /** Owner of the command in flight, if any. */
  get owner(): CommandOwner | null {
    return this.current;
  }

  get tag(): number {
    return this.table[this.record(this.first) + TAG]!;
  }

  get responseKey(): number {
    return this.currentKey;
  }

  /** Where queue place `slot`'s numbers start in `table`. */
  private record(slot: number): number {
    return this.tableAt + slot * RECORD_SIZE;
  }

  /**
   * Starts encoding a command; finish it with `commit()`. Returns null when the queue is full.
   * `responseKey` is the token of the command's intermediate lines (-1: none).
   */
  begin(owner: CommandOwner, tag: number, responseKey: number, timeoutMs: number): CommandEncoder | null {
    if (this.count >= this.depth || this.encoding) return null;
    if (this.txHead > this.txBase) {
      // Move queued bytes back so the new command gets the longest possible run.
      this.bytes.copyWithin(this.txBase, this.txHead, this.txTail);
      this.txTail -= this.txHead - this.txBase;
      this.txHead = this.txBase;
    }
    const slot = (this.first + this.count) % this.depth;
    const r = this.record(slot);
    this.owners[slot] = owner;
    this.table[r + TAG] = tag;
    this.table[r + KEY] = responseKey;
    this.table[r + TIMEOUT] = timeoutMs;
    this.encoding = true;
    return this.encoder.open(this.txTail, this.txBase + this.txCapacity);
  }

  /** Queues the command begun last; false (and nothing queued) if its encoding failed. */
  commit(): boolean {
    const e = this.encoder;
    this.encoding = false;
    e.endLine();
    const slot = (this.first + this.count) % this.depth;
    if (e.failed) {
      this.owners[slot] = null;
      return false;
    }
    const r = this.record(slot);
    this.table[r + LINE_LENGTH] = e.lineEnd - this.txTail;
    this.table[r + DATA_LENGTH] = e.pos - e.lineEnd;
    this.txTail = e.pos;
    this.count++;
    this.pump();
    return true;
  }

  /** Grants output budget (the ESP32 reports free TX FIFO space) and writes what fits. */
  writable(count: number): void {
    this.budget = count;
    this.pump();
  }

  /** The modem's `>` arrived: send the data part. */
  prompt(): void {
    if (this.phase === SENDING_LINE) {
      // A port that answers inside `write` can show the prompt before the line's write returns.
      this.promptEarly = true;
      return;
    }
    if (this.phase !== AWAITING_PROMPT) return;
    this.phase = SENDING_DATA;
    this.sent = 0;
    this.pump();
  }

  /** A final result for the command in flight. False if there was none. */
  finish(result: number, code: number): boolean {
    if (this.phase === IDLE) return false;
    const slot = this.first;
    const table = this.table;
    const r = this.tableAt + slot * RECORD_SIZE;
    const owner = this.owners[slot]!;
    const tag = table[r + TAG]!;
    this.owners[slot] = null;
    this.current = null;
    this.currentKey = -2;
    this.first = slot + 1 === this.depth ? 0 : slot + 1;
    if (--this.count === 0) this.txHead = this.txTail = this.txBase;
    else this.txHead += table[r + LINE_LENGTH]! + table[r + DATA_LENGTH]!;
    this.phase = IDLE;
    this.scanner.promptWanted = false;
    // With more queued, the next command's start re-arms the timer; a firing before that finds
    // the channel idle and does nothing.
    if (this.count === 0) this.timer.cancel();
    owner.onFinal(tag, result, code);
    this.pump();
    return true;
  }

  /** Ends every queued command with RESULT_CANCELLED (after a modem reset, say). */
  cancelAll(): void {
    while (this.count > 0) {
      if (this.phase === IDLE) this.phase = AWAITING_RESULT;
      this.finish(RESULT_CANCELLED, -1);
    }
  }

  /**
   * Starts the next command and writes as much as the budget allows. A port may answer inside
   * `write` (an in-process modem does): the answer can finish this command and start the next
   * before `write` returns. So a nested call only asks for another round, and a write loop
   * stops as soon as the command it was writing is no longer the one in flight.
   */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const table = this.table;
    const r = this.tableAt + this.first * RECORD_SIZE;
    if (this.phase === IDLE) {
      if (this.count === 0 || this.encoding) return;
      this.phase = SENDING_LINE;
      this.sent = 0;
      this.serial++;
      this.promptEarly = false;
      this.current = this.owners[this.first]!;
      this.currentTag = table[r + TAG]!;
      this.currentKey = table[r + KEY]!;
      this.scanner.promptWanted = table[r + DATA_LENGTH]! > 0;
      const ms = table[r + TIMEOUT]!;
      this.deadline = this.clock.now() + ms;
      this.timer.schedule(ms);
    }
    const lineLength = table[r + LINE_LENGTH]!;
    if (this.phase === SENDING_LINE) {
      if (!this.write(this.txHead, lineLength)) return;
      this.sent = 0;
      if (table[r + DATA_LENGTH]! === 0) this.phase = AWAITING_RESULT;
      else this.phase = this.promptEarly ? SENDING_DATA : AWAITING_PROMPT;
    }
    if (this.phase === SENDING_DATA) {
      if (!this.write(this.txHead + lineLength, table[r + DATA_LENGTH]!)) return;
      this.phase = AWAITING_RESULT;
    }
  }

  /** Writes the unsent rest of [start, start + length) within budget; true when all is sent. */
  private write(start: number, length: number): boolean {
    const serial = this.serial;
    const phase = this.phase;
    while (this.sent < length) {
      let n = length - this.sent;
      if (n > this.budget) n = this.budget;
      if (n <= 0) return false;
      this.budget -= n;
      const from = start + this.sent;
      this.sent += n;
      this.tx.write(this.bytes, from, n);
      if (this.serial !== serial || this.phase !== phase) return false;
    }
    return true;
  }

  private expire(): void {
    if (this.phase === IDLE) return;
    const late = this.deadline - this.clock.now();
    if (late > 0) {
      this.timer.schedule(late);
      return;
    }
    this.listener.timedOut(this.currentTag);
    this.finish(RESULT_TIMEOUT, -1);
  }
}
