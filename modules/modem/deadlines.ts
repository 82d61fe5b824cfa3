import type { AlarmTimer, Clock } from "cellmqtt/at/port";

/** Told when deadlines pass. */
export interface DeadlineOwner {
  /** Deadline `index` passed (it is already cleared). */
  onDeadline(index: number): void;
  /** Every deadline due this time was told. */
  afterDeadlines(): void;
}

/**
 * A few deadlines on one timer (a device has few timers to spare): each is a clock time, or 0
 * for none, and the timer is set for the earliest. Allocates nothing once made.
 */
export class Deadlines {
  private readonly at: Float64Array;
  private readonly timer: AlarmTimer;

  constructor(
    private readonly clock: Clock,
    count: number,
    private readonly owner: DeadlineOwner,
  ) {
    this.at = new Float64Array(count);
    this.timer = clock.timer(() => this.fired());
  }

  /** Sets deadline `index` to `ms` from now. */
  arm(index: number, ms: number): void {
    // 0 means none: a deadline at time 0 is moved a millisecond on.
    this.at[index] = Math.max(1, this.clock.now() + ms);
    this.schedule();
  }

  clear(index: number): void {
    if (this.at[index] === 0) return;
    this.at[index] = 0;
    this.schedule();
  }

  pending(index: number): boolean {
    return this.at[index] !== 0;
  }

  clearAll(): void {
    this.at.fill(0);
    this.timer.cancel();
  }

  private schedule(): void {
    const at = this.at;
    let next = 0;
    for (let i = 0; i < at.length; i++) if (at[i]! > 0 && (next === 0 || at[i]! < next)) next = at[i]!;
    if (next === 0) this.timer.cancel();
    else this.timer.schedule(next - this.clock.now());
  }

  private fired(): void {
    const now = this.clock.now();
    const at = this.at;
    for (let i = 0; i < at.length; i++) {
      if (at[i] === 0 || at[i]! > now) continue;
      at[i] = 0;
      this.owner.onDeadline(i);
    }
    this.schedule();
    this.owner.afterDeadlines();
  }
}
