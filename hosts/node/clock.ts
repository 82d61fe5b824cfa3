import type { AlarmTimer, Clock } from "cellmqtt/at/port";

/** The engine's clock on Node: `performance.now()` and one re-armed `setTimeout` per timer. */
export class NodeClock implements Clock {
  private readonly timers = new Set<NodeTimer>();

  now(): number {
    return performance.now();
  }

  timer(fire: () => void): AlarmTimer {
    const t = new NodeTimer(fire);
    this.timers.add(t);
    return t;
  }

  /** Cancels every timer, so a stopped host lets the process exit. */
  stop(): void {
    for (const t of this.timers) t.cancel();
  }
}

class NodeTimer implements AlarmTimer {
  private handle: NodeJS.Timeout | undefined;

  constructor(private readonly fire: () => void) {}

  schedule(ms: number): void {
    this.cancel();
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.fire();
    }, Math.max(0, ms));
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
