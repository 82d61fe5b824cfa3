import { CommandEncoder } from "./encoder.ts";
import type { AlarmTimer, Clock, TxPort } from "./port.ts";
import { RESULT_CANCELLED, RESULT_OK, RESULT_TIMEOUT } from "./results.ts";
import type { Scanner } from "./scanner.ts";
import { CR } from "./bytes.ts";

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

/**
 * Told of the channel's own events (an object, not a closure: a closure costs heap slots). The
 * engine counts them and passes them on as notices.
 */
export interface ChannelListener {
  /** The command in flight went unanswered and was given up. */
  timedOut(tag: number): void;
  /** The command in flight has waited its timeout for `>` (or to finish its payload); it waits `promptGraceMs` more. */
  promptOverdue(tag: number): void;
  /** A sync command went unanswered; the channel waits for quiet and tries again. */
  syncTimedOut(): void;
  /** Filler bytes were written in place of a payload the modem may have been collecting. */
  filled(count: number): void;
  /** The conversation is back in step; queued commands go out again. */
  resynced(): void;
}

const IDLE = 0;
const SENDING_LINE = 1;
const AWAITING_PROMPT = 2;
const SENDING_DATA = 3;
const AWAITING_RESULT = 4;

/**
 * Whether the modem's answers can be trusted to belong to the command in flight. In step, one
 * command is in flight and every earlier one has had its final result. Once a command is given
 * up, its answer may still come (a stalled modem releases its output late), so the channel goes
 * out of step and writes no queued command until it has proved the conversation is back in step:
 * SETTLING waits until the line has been quiet for `quietMs`; FILLING completes a payload the
 * modem may be collecting; SYNCING writes the sync command and waits for its answer; CONFIRMING
 * has seen that answer and waits for quiet once more, so a late answer of an earlier sync cannot
 * pass for the last one's.
 */
export const STEP_IN = 0;
export const STEP_SETTLING = 1;
export const STEP_FILLING = 2;
export const STEP_SYNCING = 3;
export const STEP_CONFIRMING = 4;

/** Reasons no command may start (`holds`): one is being encoded; the queue is being cancelled. */
const HOLD_ENCODING = 1;
const HOLD_CANCELLING = 2;

/** Sync attempts in a row answered with an error, after which an error counts as the answer. */
const SYNC_REFUSALS = 2;

/** Written in place of a payload the modem may be collecting: a hex digit, so either reading of `Datasize` takes it. */
const FILLER = 0x30; // '0'

/** A queued command's record in the channel's table: five numbers per queue place. */
const TAG = 0;
const KEY = 1;
const TIMEOUT = 2;
const LINE_LENGTH = 3;
const DATA_LENGTH = 4;
export const RECORD_SIZE = 5;

/** How the channel restores step after a command was given up. */
export interface StepOptions {
  /** The sync command line, CR included (`AT+CSQ=?\r`). */
  sync: Uint8Array;
  /** How long the line must be silent before filler or a sync is written, and after a sync's answer. */
  quietMs: number;
  /** How long a sync may go unanswered before it is tried again. */
  syncTimeoutMs: number;
  /** How much longer than its timeout a command waits for its `>` before it is given up. */
  promptGraceMs: number;
}

/**
 * Commands wait in a fixed queue with their encoded bytes in a fixed transmit region; one is in
 * flight at a time. Output goes to the port only within the budget the UART granted.
 *
 * An answer belongs to the command in flight or to none: a final result ends a command only in
 * step, and `OK` never ends a command whose payload has not all been handed over (so a stale `OK`
 * cannot end a publish waiting for its `>`). A payload is written only after its own command's
 * `>`, seen in step. See `STEP_IN` for what happens after a command is given up.
 *
 * A command waiting for `>` is not given up at its timeout: the modem may hold its line (a
 * stall) and ask for exactly its payload later, and any byte written meanwhile would be taken
 * as payload. So it waits `promptGraceMs` longer, writing nothing, and a `>` then still gets its
 * exact payload (the command goes on to its own result). Only after that is it given up, with
 * filler in place of what the modem may be collecting (see `giveUp`).
 */
export class CommandChannel {
  /**
   * The command in flight: its owner (null when idle), tag and response key (-2 when idle).
   * Plain fields, not getters, read by the engine for every line; and first, with the other
   * fields in the order a final result and the next command's start use them: XS finds an
   * instance's properties by walking them in order.
   */
  current: CommandOwner | null = null;
  currentTag = 0;
  currentKey = -2;
  /** One of `STEP_*`; read by the engine for every line. */
  step = STEP_IN;
  private phase = IDLE;
  private first = 0;
  private count = 0;
  /** The command in flight's line and payload lengths, copied from its record when it starts. */
  private dataLength = 0;
  private lineLength = 0;
  readonly depth: number;
  private txHead: number;
  /** Why no command may start now: HOLD_* bits. */
  private holds = 0;
  /**
   * The queued commands' numbers, RECORD_SIZE per queue place from `tableAt`: a region of an
   * array the engine shares out, since every array costs heap of its own (a plain array would
   * be read faster, at a slot per number).
   */
  private readonly table: Int32Array;
  private readonly tableAt: number;
  private readonly owners: (CommandOwner | null)[];
  /**
   * Counts entries into the phases a write loop runs in (SENDING_LINE, SENDING_DATA), so a loop
   * can tell that what it was writing is over even if the phase it finds is its own again. (A
   * line that goes out whole never enters SENDING_LINE.)
   */
  private serial = 0;
  /** When the command in flight (or the sync) is due; -1: when the timer fires, as armed at its start. */
  private deadline = 0;
  private readonly timer: AlarmTimer;
  /** Bytes the port may take now. Unlimited unless the host reports a FIFO budget. */
  budget: number;
  private readonly tx: TxPort;
  private readonly bytes: Uint8Array;
  private txTail: number;
  private readonly txBase: number;
  private readonly scanner: Scanner;
  /** Bytes of the line or payload being written a part at a time, written so far. */
  private sent = 0;
  private promptEarly = false;
  /** The command in flight is past its timeout, waiting for its `>` (or budget for its payload). */
  private overdue = false;
  private readonly clock: Clock;
  private readonly encoder: CommandEncoder;
  private readonly txCapacity: number;
  private readonly listener: ChannelListener;
  // ---- restoring step ----
  /** When input last arrived; kept only while out of step (`heard`). */
  private heardAt = 0;
  /** Set when the sync's answer line arrived; the `OK` that follows it proves step. */
  syncAnswered = false;
  /** Response token of the command given up: its lines are stale until step is restored. */
  staleKey = -2;
  /** Filler bytes still to write, the CR that ends them included. */
  private fillerLeft = 0;
  /** The sync in flight drew an error; `refusals` counts the attempts in a row that did. */
  private syncRefused = false;
  private refusals = 0;
  private readonly fill: Uint8Array;
  private readonly sync: Uint8Array;
  private readonly quietMs: number;
  private readonly syncTimeoutMs: number;
  private readonly promptGraceMs: number;

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
    listener: ChannelListener,
    step: StepOptions,
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
    this.fill = new Uint8Array(33).fill(FILLER);
    this.fill[32] = CR;
    this.sync = step.sync;
    this.quietMs = step.quietMs;
    this.syncTimeoutMs = step.syncTimeoutMs;
    this.promptGraceMs = step.promptGraceMs;
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

  /**
   * Starts encoding a command; finish it with `commit()`. Returns null when the queue is full.
   * `responseKey` is the token of the command's intermediate lines (-1: none).
   */
  begin(owner: CommandOwner, tag: number, responseKey: number, timeoutMs: number): CommandEncoder | null {
    if (this.count >= this.depth || (this.holds & HOLD_ENCODING) !== 0) return null;
    if (this.txHead > this.txBase) {
      // Move queued bytes back so the new command gets the longest possible run.
      this.bytes.copyWithin(this.txBase, this.txHead, this.txTail);
      this.txTail -= this.txHead - this.txBase;
      this.txHead = this.txBase;
    }
    const slot = (this.first + this.count) % this.depth;
    const r = this.tableAt + slot * RECORD_SIZE;
    this.owners[slot] = owner;
    this.table[r + TAG] = tag;
    this.table[r + KEY] = responseKey;
    this.table[r + TIMEOUT] = timeoutMs;
    this.holds |= HOLD_ENCODING;
    return this.encoder.open(this.txTail, this.txBase + this.txCapacity);
  }

  /** Queues the command begun last; false (and nothing queued) if its encoding failed. */
  commit(): boolean {
    const e = this.encoder;
    this.holds &= ~HOLD_ENCODING;
    e.endLine();
    const slot = (this.first + this.count) % this.depth;
    if (e.failed) {
      this.owners[slot] = null;
      return false;
    }
    const r = this.tableAt + slot * RECORD_SIZE;
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

  /** The modem's `>` arrived (the scanner reports it only while a command in step waits for one). */
  prompt(): void {
    if (this.phase === SENDING_LINE) {
      // A port that answers inside `write` can show the prompt before the line's write returns.
      this.promptEarly = true;
      return;
    }
    if (this.phase === AWAITING_PROMPT) this.sendPayload();
  }

  /**
   * A final result. True if it ended the command in flight or answered a sync; false if it
   * belongs to nothing (the engine counts it as unmatched).
   */
  finish(result: number, code: number): boolean {
    if (this.step !== STEP_IN) return this.syncFinished(result);
    const phase = this.phase;
    // The common case, a command that has handed over all its bytes, goes straight to `end`.
    if (phase !== AWAITING_RESULT && !this.mayEnd(phase, result)) return false;
    this.end(result, code);
    // The next command starts, unless the owner, told, started one or left step.
    if (this.phase === IDLE && this.step === STEP_IN) this.start();
    return true;
  }

  /** Whether a final result may end a command still handing over its bytes (or none, when idle). */
  private mayEnd(phase: number, result: number): boolean {
    if (phase === IDLE) return false;
    if (result !== RESULT_OK) return true;
    // `OK` cannot answer a command whose payload the modem has not all been given.
    const data = this.dataLength;
    return data === 0 || (phase === SENDING_DATA && this.sent >= data);
  }

  /** A final result while out of step: true if it answered the sync. */
  private syncFinished(result: number): boolean {
    const syncing = this.step >= STEP_SYNCING;
    let answered = this.syncAnswered && result === RESULT_OK && syncing;
    this.syncAnswered = false;
    if (syncing && result !== RESULT_OK) {
      // A modem that refuses the sync's form answers it with an error, attempt after attempt:
      // once it has, its error is the answer (the quiet that must follow still guards it).
      this.syncRefused = true;
      answered = this.refusals >= SYNC_REFUSALS;
    }
    if (!answered) return false;
    // Proved only once the line stays quiet: a burst of late answers may hold a later sync's.
    this.step = STEP_CONFIRMING;
    this.heardAt = this.clock.now();
    this.timer.schedule(this.quietMs);
    return true;
  }

  /** Ends every queued command with RESULT_CANCELLED and trusts the line again (the modem rebooted). */
  cancelAll(): void {
    this.step = STEP_IN;
    this.fillerLeft = 0;
    this.staleKey = -2;
    this.syncAnswered = false;
    this.syncRefused = false;
    this.refusals = 0;
    this.timer.cancel();
    // Each ends without the next being written: the modem restarted, and would take a line
    // written now to answer later, when a new command is in flight. What the owners queue when
    // told is new, and starts after.
    let n = this.count;
    this.holds |= HOLD_CANCELLING;
    while (n-- > 0 && this.count > 0) this.end(RESULT_CANCELLED, -1);
    this.holds &= ~HOLD_CANCELLING;
    this.pump();
  }

  /**
   * Gives up the command in flight (RESULT_CANCELLED) and restores step before the next one
   * goes out. For a caller that has reason to doubt the conversation (the modem went silent).
   */
  resync(): void {
    if (this.phase !== IDLE) this.giveUp(RESULT_CANCELLED);
    else if (this.step === STEP_IN) {
      this.leaveStep();
      this.settle();
    }
  }

  /** Input arrived: while out of step, the quiet the channel waits for starts again. */
  heard(): void {
    this.heardAt = this.clock.now();
  }

  // ---- out of step ----

  /**
   * Gives up the command in flight. If the modem may be collecting its payload (its `>` had not
   * come, or came and the payload was cut short), filler follows once the line is quiet: a late
   * `>` is no reason to send the real payload, and a command line written now would become
   * payload bytes.
   */
  private giveUp(result: number): void {
    const data = this.dataLength;
    const phase = this.phase;
    // A line cut short gets no filler: the modem has no complete command to collect data for.
    this.fillerLeft = phase === AWAITING_PROMPT ? data + 1 : phase === SENDING_DATA ? data - this.sent + 1 : 0;
    this.staleKey = this.currentKey;
    this.leaveStep();
    if (result === RESULT_TIMEOUT) {
      this.listener.timedOut(this.currentTag);
      if (this.phase === IDLE) return; // the listener reset the channel
    }
    this.end(result, -1);
    // Unless the owner reset the channel when told (the modem rebooted).
    if (this.step === STEP_SETTLING) this.settle();
  }

  private leaveStep(): void {
    this.step = STEP_SETTLING;
    this.syncAnswered = false;
    this.scanner.promptWanted = false;
    this.heardAt = this.clock.now();
  }

  /** Waits until the line has been quiet for `quietMs`. */
  private settle(): void {
    this.step = STEP_SETTLING;
    this.timer.schedule(this.quietLeft());
  }

  private quietLeft(): number {
    const left = this.heardAt + this.quietMs - this.clock.now();
    return left > 0 ? left : 0;
  }

  private pumpOutOfStep(): void {
    if (this.step === STEP_FILLING) {
      if (!this.writeFiller()) return;
      const count = this.fillerLeft;
      this.fillerLeft = 0;
      this.listener.filled(count - 1);
      // Whatever the filler and its CR draw from the modem is waited out before the sync.
      this.heardAt = this.clock.now();
      this.settle();
    } else if (this.step === STEP_SYNCING) {
      this.write(this.sync, 0, this.sync.length);
    }
  }

  /** Writes the filler zeros and their CR within budget; true when all is written. */
  private writeFiller(): boolean {
    const fill = this.fill;
    while (this.sent < this.fillerLeft) {
      const left = this.fillerLeft - this.sent;
      // The CR goes last, alone if need be; zeros before it, up to 32 a write.
      let n = left === 1 ? 1 : left - 1 > 32 ? 32 : left - 1;
      if (n > this.budget) n = this.budget;
      if (n <= 0) return false;
      this.budget -= n;
      this.sent += n;
      this.tx.write(fill, left === 1 ? 32 : 0, n);
      if (this.step !== STEP_FILLING) return false;
    }
    return true;
  }

  private expire(): void {
    const step = this.step;
    if (step === STEP_IN) {
      if (this.phase === IDLE) return;
      const late = this.deadline < 0 ? 0 : this.deadline - this.clock.now();
      if (late > 0) {
        this.timer.schedule(late);
        return;
      }
      const phase = this.phase;
      if ((phase === AWAITING_PROMPT || phase === SENDING_DATA) && !this.overdue) {
        this.overdue = true;
        this.deadline = this.clock.now() + this.promptGraceMs;
        this.timer.schedule(this.promptGraceMs);
        this.listener.promptOverdue(this.currentTag);
        return;
      }
      this.giveUp(RESULT_TIMEOUT);
      return;
    }
    if (step === STEP_SYNCING) {
      const late = this.deadline - this.clock.now();
      if (late > 0) {
        this.timer.schedule(late);
        return;
      }
      this.refusals = this.syncRefused ? this.refusals + 1 : 0;
      this.syncRefused = false;
      this.listener.syncTimedOut();
      this.settle();
      return;
    }
    const left = this.quietLeft();
    if (left > 0) {
      this.timer.schedule(left);
      return;
    }
    if (step === STEP_SETTLING) {
      this.sent = 0;
      if (this.fillerLeft > 0) this.step = STEP_FILLING;
      else {
        this.step = STEP_SYNCING;
        this.syncAnswered = false;
        this.syncRefused = false;
        this.deadline = this.clock.now() + this.syncTimeoutMs;
        this.timer.schedule(this.syncTimeoutMs);
      }
      this.pump();
    } else if (step === STEP_CONFIRMING) {
      this.step = STEP_IN;
      this.staleKey = -2;
      this.listener.resynced();
      this.pump();
    }
  }

  /**
   * Ends the command in flight (or, after a reset, the first queued) with `result` and tells its
   * owner; the caller starts the next. The path every command takes, so it reads each field once.
   */
  private end(result: number, code: number): void {
    const slot = this.first;
    let owner = this.current!;
    let tag = this.currentTag;
    const data = this.dataLength;
    let length = this.lineLength + data;
    if (this.phase === IDLE) {
      // Never started (a reset cancels the whole queue): its numbers are still only in its record.
      const table = this.table;
      const r = this.tableAt + slot * RECORD_SIZE;
      owner = this.owners[slot]!;
      tag = table[r + TAG]!;
      length = table[r + LINE_LENGTH]! + table[r + DATA_LENGTH]!;
    } else if (data !== 0) {
      // Only a command with data wants a prompt, or waits overdue for one.
      this.scanner.promptWanted = false;
      this.overdue = false;
    }
    this.phase = IDLE;
    const count = this.count - 1;
    this.first = slot + 1 === this.depth ? 0 : slot + 1;
    this.count = count;
    this.current = null;
    this.currentKey = -2;
    if (count === 0) {
      this.txHead = this.txTail = this.txBase;
      // With more queued, the next command's start re-arms the timer; a firing before that finds
      // the channel idle and does nothing.
      if (this.step === STEP_IN) this.timer.cancel();
    } else this.txHead += length;
    // (`owners` keeps its place's owner: the place is overwritten when reused, and owners live long.)
    owner.onFinal(tag, result, code);
  }

  /**
   * Starts the next queued command if none is in flight and writes as much as the budget allows;
   * out of step, the filler or the sync. A port may answer inside `write` (an in-process modem
   * does), and the answer can end this command and start the next before `write` returns: so a
   * phase is set before the write that it leads to, and a write loop stops as soon as the
   * command it was writing is no longer the one in flight.
   */
  private pump(): void {
    if (this.step !== STEP_IN) this.pumpOutOfStep();
    else if (this.phase === IDLE) this.start();
    else if (this.phase === SENDING_LINE) this.sendLine();
    else if (this.phase === SENDING_DATA) this.sendData();
  }

  /** Starts the first queued command, if any may start: its line goes out whole if the budget allows. */
  private start(): void {
    const first = this.first;
    if (this.count === 0 || this.holds !== 0) return;
    const table = this.table;
    const r = this.tableAt + first * RECORD_SIZE;
    const data = table[r + DATA_LENGTH]!;
    const lineLength = table[r + LINE_LENGTH]!;
    this.current = this.owners[first]!;
    this.currentTag = table[r + TAG]!;
    this.currentKey = table[r + KEY]!;
    this.dataLength = data;
    this.lineLength = lineLength;
    // Due when the timer fires: no clock read per command.
    this.deadline = -1;
    this.timer.schedule(table[r + TIMEOUT]!);
    if (data !== 0) this.scanner.promptWanted = true; // (`end` and `leaveStep` clear it)
    const budget = this.budget;
    if (budget >= lineLength) {
      // The whole line in one write, the common case.
      this.budget = budget - lineLength;
      this.phase = data === 0 ? AWAITING_RESULT : AWAITING_PROMPT;
      this.tx.write(this.bytes, this.txHead, lineLength);
      return;
    }
    this.phase = SENDING_LINE;
    this.serial++;
    this.sent = 0;
    this.promptEarly = false;
    this.sendLine();
  }

  /**
   * Writes what the budget allows of the command's line; once it is all written, the command
   * waits for its answer or its `>`.
   */
  private sendLine(): void {
    if (!this.write(this.bytes, this.txHead, this.lineLength)) return;
    if (this.dataLength === 0) this.phase = AWAITING_RESULT;
    else if (!this.promptEarly) this.phase = AWAITING_PROMPT;
    else this.sendPayload(); // a port that answers inside `write` showed the prompt already
  }

  /** The command's `>` came: its payload goes out from its first byte, as the budget allows. */
  private sendPayload(): void {
    this.phase = SENDING_DATA;
    this.serial++;
    this.sent = 0;
    this.sendData();
  }

  /** Writes what the budget allows of the command's payload, after its `>`. */
  private sendData(): void {
    if (!this.write(this.bytes, this.txHead + this.lineLength, this.dataLength)) return;
    this.phase = AWAITING_RESULT;
    if (this.overdue) {
      // The payload went out late: the result gets the command's full timeout from now.
      this.overdue = false;
      const ms = this.table[this.tableAt + this.first * RECORD_SIZE + TIMEOUT]!;
      this.deadline = this.clock.now() + ms;
      this.timer.schedule(ms);
    }
  }

  /** Writes the unsent rest of src[start, start + length) within budget; true when all is sent. */
  private write(src: Uint8Array, start: number, length: number): boolean {
    const serial = this.serial;
    let sent = this.sent;
    const phase = this.phase;
    const step = this.step;
    while (sent < length) {
      const budget = this.budget;
      let n = length - sent;
      if (n > budget) n = budget;
      if (n <= 0) return false;
      this.budget = budget - n;
      this.sent = sent + n;
      this.tx.write(src, start + sent, n);
      // A port answering inside `write` can end the command or change the phase or the step;
      // while none of them changed, nothing else touched `sent`.
      if (this.serial !== serial || this.phase !== phase || this.step !== step) return false;
      sent += n;
    }
    return true;
  }
}
