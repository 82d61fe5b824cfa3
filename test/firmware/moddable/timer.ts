import { world, type TimerRecord } from "./world.ts";

const records = new WeakMap<object, TimerRecord>();

function live(handle: object): TimerRecord {
  const t = records.get(handle);
  if (!t || !t.callback) throw new Error("invalid timer"); // xsmcGetHostDataValidate fails
  return t;
}

function add(callback: (t: object) => void, ms: number, repeat: number): object {
  const handle = {};
  const t: TimerRecord = { callback, trigger: world.ms + ms, repeat, unscheduled: false, handle };
  records.set(handle, t);
  world.timers.push(t);
  return handle;
}

const Timer = {
  set: (callback: (t: object) => void, ms = 0, repeat = 0) => add(callback, ms, repeat),
  repeat: (callback: (t: object) => void, ms: number) => add(callback, ms, ms),
  schedule(handle: object, ms?: number, repeat = 0): void {
    const t = live(handle);
    if (ms === undefined) {
      t.unscheduled = true;
      t.repeat = -1;
    } else {
      t.trigger = world.ms + ms;
      t.repeat = repeat;
      t.unscheduled = false;
    }
  },
  clear(handle: object | undefined): void {
    const t = handle && records.get(handle);
    if (t) t.callback = null;
  },
  delay(ms: number): void {
    world.ms += ms;
  },
};
export default Timer;
