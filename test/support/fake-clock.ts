import type { AlarmTimer, Clock } from "cellmqtt/at/port";

interface FakeTimer extends AlarmTimer {
  due: number;
  fire: () => void;
}

/** A clock whose time moves only when a test says so; timers fire in due order. */
export class FakeClock implements Clock {
  private time = 0;
  private readonly timers: FakeTimer[] = [];

  now(): number {
    return this.time;
  }

  timer(fire: () => void): AlarmTimer {
    const t: FakeTimer = {
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
      let next: FakeTimer | null = null;
      for (const t of this.timers) if (t.due >= 0 && t.due <= end && (next === null || t.due < next.due)) next = t;
      if (next === null) break;
      this.time = next.due;
      next.due = -1;
      next.fire();
    }
    this.time = end;
  }

  /** Milliseconds until the next timer fires, or -1. */
  nextDue(): number {
    let best = -1;
    for (const t of this.timers) if (t.due >= 0 && (best < 0 || t.due < best)) best = t.due;
    return best < 0 ? -1 : best - this.time;
  }
}
