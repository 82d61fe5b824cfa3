/**
 * `timer` as the Moddable SDK 8.2 implements it (modules/base/timer). Beware: a timer that
 * fires with a repeat interval of 0 is destroyed after its callback, and `Timer.schedule()` on
 * a destroyed timer throws. Keep a timer reusable by giving it a non-zero repeat and
 * unscheduling it (`Timer.schedule(t)`) when it fires.
 */
declare module "timer" {
  /** An opaque host object; `this` in the callback is the global object. */
  export interface TimerId {
    readonly __timer: never;
  }
  export type TimerCallback = (timer: TimerId) => void;

  const Timer: {
    /** Fires once after `ms` (0 when omitted), then every `repeat` ms if that is non-zero. */
    set(callback: TimerCallback, ms?: number, repeat?: number): TimerId;
    repeat(callback: TimerCallback, ms: number): TimerId;
    /** With `ms`: (re)arms the timer. Without: unschedules it, keeping it for later reuse. */
    schedule(timer: TimerId, ms?: number, repeat?: number): void;
    /** Destroys the timer; ignores `undefined` and destroyed timers. */
    clear(timer: TimerId | undefined): void;
    /** Blocks for `ms` milliseconds. */
    delay(ms: number): void;
  };
  export default Timer;
}
