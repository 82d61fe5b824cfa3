/**
 * Bytes toward the device, in order, optionally paced like a real UART (baud/10 bytes per second)
 * and optionally cut at random points into separate writes, because drivers that assume "one read
 * = one line" only break when the line arrives in pieces.
 */
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import type { Random } from "./random.ts";

interface Pending {
  bytes: Uint8Array;
  offset: number;
  onFlushed: (() => void) | undefined;
}

/** Pacing granularity: one chunk per tick, like a driver's receive interrupt batching. */
const TICK_MS = 5;

export class OutputPacer {
  private readonly queue: Pending[] = [];
  private readonly timer: AlarmTimer;
  private armed = false;
  private credit = 0;
  private last = 0;
  private splitting = false;

  constructor(
    private readonly clock: Clock,
    private readonly sink: (chunk: Uint8Array) => void,
    private readonly random: Random,
    private baud: number,
  ) {
    this.timer = clock.timer(() => {
      this.armed = false;
      this.pump();
    });
  }

  setBaud(baud: number): void {
    this.baud = baud;
  }

  getBaud(): number {
    return this.baud;
  }

  setSplit(on: boolean): void {
    this.splitting = on;
  }

  /** `onFlushed` runs once the last byte of `bytes` has left through the sink. */
  write(bytes: Uint8Array, onFlushed?: () => void): void {
    if (bytes.length === 0) {
      onFlushed?.();
      return;
    }
    const direct = this.queue.length === 0 && this.baud <= 0 && !this.splitting;
    if (direct) {
      this.sink(bytes);
      onFlushed?.();
      return;
    }
    if (this.queue.length === 0 && !this.armed) {
      this.last = this.clock.now();
      this.credit = 1;
    }
    this.queue.push({ bytes, offset: 0, onFlushed });
    if (!this.armed) this.arm(0);
  }

  /** Drops everything not yet written (modem reset, silence). */
  clear(): void {
    this.queue.length = 0;
    this.timer.cancel();
    this.armed = false;
  }

  pendingBytes(): number {
    return this.queue.reduce((n, p) => n + p.bytes.length - p.offset, 0);
  }

  private arm(ms: number): void {
    this.armed = true;
    this.timer.schedule(ms);
  }

  private pump(): void {
    let allowance = Number.POSITIVE_INFINITY;
    const bps = this.baud / 10;
    if (bps > 0) {
      const now = this.clock.now();
      const cap = Math.max(1, (bps * TICK_MS) / 1000);
      this.credit = Math.min(this.credit + ((now - this.last) * bps) / 1000, cap);
      this.last = now;
      allowance = Math.floor(this.credit);
      if (allowance < 1) {
        this.arm(Math.max(1, Math.ceil(((1 - this.credit) * 1000) / bps)));
        return;
      }
    }
    let n = Math.min(allowance, this.pendingBytes());
    // Never the whole remainder at once: every write of two or more bytes is cut at least once.
    if (this.splitting && n > 1) n = this.random.int(1, Math.min(n - 1, 64));
    this.emit(n);
    if (bps > 0) this.credit -= n;
    if (this.queue.length > 0) {
      const delay = bps > 0 ? TICK_MS : this.splitting ? this.random.int(0, 2) : 0;
      this.arm(delay);
    }
  }

  private emit(count: number): void {
    const parts: Uint8Array[] = [];
    const done: (() => void)[] = [];
    let left = count;
    while (left > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const take = Math.min(left, head.bytes.length - head.offset);
      parts.push(head.bytes.subarray(head.offset, head.offset + take));
      head.offset += take;
      left -= take;
      if (head.offset === head.bytes.length) {
        this.queue.shift();
        if (head.onFlushed) done.push(head.onFlushed);
      }
    }
    this.sink(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    for (const fn of done) fn();
  }
}
