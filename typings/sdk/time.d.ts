/** `time` as the Moddable SDK 8.2 implements it (modules/base/time). */
declare module "time" {
  const Time: {
    /**
     * Milliseconds from an arbitrary start. On ESP32 an int32 (modMilliseconds()): it goes
     * negative after ~24.8 days and wraps after ~49.7. On lin/mac/win a large double.
     */
    readonly ticks: number;
    /** Milliseconds from `start` to `end` (default: now), wrap-safe on devices. */
    delta(start: number, end?: number): number;
    /** Sets the wall clock, in seconds since 1970. */
    set(seconds: number): void;
    timezone: number;
    dst: number;
  };
  export default Time;
}
