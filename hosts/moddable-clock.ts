/**
 * The engine's clock on Moddable (ESP32 and the desktop simulator): `Time.ticks` for now, and
 * `timer` for alarms. Module `cellmqtt/moddable-clock`, shared by both host bindings.
 */
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import Time from "time";
import Timer from "timer";

/** What `Timer.repeat` returns: named by the SDK's typings and ours alike. */
type TimerId = ReturnType<typeof Timer.repeat>;

/** Repeat interval that only keeps a timer alive: it is unscheduled before it could repeat. */
const KEEP = 86_400_000;

/**
 * One reusable Moddable timer. A timer whose repeat interval is 0 is destroyed once it fires,
 * so it is armed with a non-zero repeat and unscheduled as it fires; `fire` may re-arm it.
 */
class ModdableAlarm implements AlarmTimer {
  private readonly id: TimerId;
  constructor(fire: () => void) {
    const id = Timer.repeat(() => {
      Timer.schedule(id);
      fire();
    }, KEEP);
    Timer.schedule(id);
    this.id = id;
  }
  schedule(ms: number): void {
    const t = ms >= 1 ? ms : 1;
    Timer.schedule(this.id, t, t);
  }
  cancel(): void {
    Timer.schedule(this.id);
  }
}

/** `Time.ticks` is an int32 of milliseconds on the device; unwrapped to a monotonic count. */
export class TicksClock implements Clock {
  private high = 0;
  private last = 0;
  now(): number {
    const t = Time.ticks >>> 0;
    if (t < this.last) this.high += 0x1_0000_0000;
    this.last = t;
    return this.high + t;
  }
  timer(fire: () => void): AlarmTimer {
    return new ModdableAlarm(fire);
  }
}
