/**
 * State shared by the stand-ins for Moddable modules (serial, timer, time, digital, mc/config),
 * so a test can drive a host binding built against them. Semantics follow the SDK 8.2 C sources
 * (modules/io/serial/esp32/serial.c, modules/base/timer/mc/modTimer.c, modules/base/time/esp).
 */
export interface TimerRecord {
  callback: ((t: object) => void) | null;
  trigger: number;
  repeat: number;
  unscheduled: boolean;
  handle: object;
}

export const world = {
  /** Milliseconds since boot, as modMilliseconds() counts them (then wrapped to uint32). */
  ms: 0,
  bootOffset: 0,
  timers: [] as TimerRecord[],
  config: {} as Record<string, unknown>,
  serials: [] as unknown[],
  pins: new Map<number, number[]>(),
  /** Calls that would have crashed the simulator (a port used after the driver closed it). */
  crashes: [] as string[],
  reset(): void {
    this.crashes = [];
    this.ms = 0;
    this.bootOffset = 0;
    this.timers = [];
    this.config = {};
    this.serials = [];
    this.pins = new Map();
  },
  /** Runs timers due within `ms`, in order, like modTimersExecute. */
  advance(ms: number): void {
    const end = this.ms + ms;
    for (;;) {
      let next: TimerRecord | null = null;
      for (const t of this.timers)
        if (!t.unscheduled && t.callback && t.trigger <= end && (next === null || t.trigger < next.trigger)) next = t;
      if (next === null) break;
      if (next.trigger > this.ms) this.ms = next.trigger;
      next.trigger += next.repeat;
      next.callback!(next.handle);
      if (next.repeat === 0) next.callback = null; // one-shot: destroyed after its callback
    }
    this.ms = end;
  },
};
