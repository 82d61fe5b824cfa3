/**
 * Delayed work in strict FIFO order. Each item gets a random latency, but never runs before an
 * item scheduled earlier: random jitter must not reorder `+MQTTSUB: 1,1` and the first `+MQTTMSG`
 * that follows it, which a real modem's single output queue would never do.
 */
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import type { Random } from "./random.ts";

interface Item {
  due: number;
  fn: () => void;
}

export class FifoScheduler {
  private readonly items: Item[] = [];
  private readonly timer: AlarmTimer;
  private lastDue = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private latency: readonly [number, number],
  ) {
    this.timer = clock.timer(() => this.run());
  }

  setLatency(latency: readonly [number, number]): void {
    this.latency = latency;
  }

  schedule(fn: () => void): void {
    const now = this.clock.now();
    const due = Math.max(now + this.random.int(this.latency[0], this.latency[1]), this.lastDue);
    this.lastDue = due;
    this.items.push({ due, fn });
    if (this.items.length === 1) this.arm();
  }

  /** Forgets everything pending (reboot, shutdown). */
  cancel(): void {
    this.items.length = 0;
    this.lastDue = 0;
    this.timer.cancel();
  }

  private arm(): void {
    const head = this.items[0];
    if (head) this.timer.schedule(Math.max(0, head.due - this.clock.now()));
  }

  private run(): void {
    const now = this.clock.now() + 1;
    while (this.items.length > 0 && this.items[0]!.due <= now) this.items.shift()!.fn();
    this.arm();
  }
}
