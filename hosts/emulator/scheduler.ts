/**
 * Delayed work in strict FIFO order. Each item gets a random latency, but never runs before an
 * item scheduled earlier: random jitter must not reorder `+MQTTSUB: 1,1` and the first `+MQTTMSG`
 * that follows it, which a real modem's single output queue would never do.
 */
import type { Random } from "./random.ts";

interface Item {
  due: number;
  fn: () => void;
}

export class FifoScheduler {
  private readonly items: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDue = 0;

  constructor(
    private readonly random: Random,
    private latency: readonly [number, number],
  ) {}

  setLatency(latency: readonly [number, number]): void {
    this.latency = latency;
  }

  schedule(fn: () => void): void {
    const now = performance.now();
    const due = Math.max(now + this.random.int(this.latency[0], this.latency[1]), this.lastDue);
    this.lastDue = due;
    this.items.push({ due, fn });
    if (this.items.length === 1) this.arm();
  }

  /** Forgets everything pending (reboot, shutdown). */
  cancel(): void {
    this.items.length = 0;
    this.lastDue = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const head = this.items[0];
    if (!head) return;
    this.timer = setTimeout(() => this.run(), Math.max(0, head.due - performance.now()));
  }

  private run(): void {
    this.timer = undefined;
    const now = performance.now() + 1;
    while (this.items.length > 0 && this.items[0]!.due <= now) this.items.shift()!.fn();
    if (this.items.length > 0 && this.timer === undefined) this.arm();
  }
}
