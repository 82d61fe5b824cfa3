/**
 * Simulated time for the whole stack (firmware and emulator alike): time moves only when the
 * driver says so, and timers fire in due order. A day of faults then runs in minutes and replays
 * from its seed.
 */
import type { AlarmTimer, Clock } from "cellmqtt/at/port";

interface SimTimer extends AlarmTimer {
  due: number;
  fire: () => void;
}

export class SimClock implements Clock {
  private time = 0;
  private readonly timers: SimTimer[] = [];

  now(): number {
    return this.time;
  }

  timer(fire: () => void): AlarmTimer {
    const t: SimTimer = {
      due: -1,
      fire,
      schedule: (ms: number) => {
        t.due = this.time + Math.max(0, ms);
      },
      cancel: () => {
        t.due = -1;
      },
    };
    this.timers.push(t);
    return t;
  }

  /** Moves time forward by `ms`, firing each timer when its moment comes. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.earliest(end);
      if (next === null) break;
      this.time = next.due;
      next.due = -1;
      next.fire();
    }
    this.time = end;
  }

  /** Milliseconds until the next timer fires, or -1. */
  nextDue(): number {
    const next = this.earliest(Number.POSITIVE_INFINITY);
    return next === null ? -1 : next.due - this.time;
  }

  private earliest(limit: number): SimTimer | null {
    let next: SimTimer | null = null;
    for (const t of this.timers) if (t.due >= 0 && t.due <= limit && (next === null || t.due < next.due)) next = t;
    return next;
  }
}
