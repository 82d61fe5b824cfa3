import type { Clock } from "cellmqtt/at/port";

/**
 * The source of reconnect jitter. Jitter exists so that a fleet does not reconnect in step after
 * an outage, which fails if every device draws the same delays: XS's `Math.random` on Linux (the
 * desktop simulator) is an unseeded `rand()`, the same sequence on every run, and a device may
 * boot with the same clock each time. So the generator starts from a seed made of what differs
 * per device and per boot (the app's `seed`: a client id, a saved boot count, the time) mixed with
 * `Math.random` and the clock, and each draw also folds in the clock: the moment a connection
 * breaks, in ms since boot, varies with the network's timing.
 */
export function jitterSource(seed: string | number, clock: Clock): () => number {
  return seededRandom(hashSeed(`${String(seed)}|${Math.random()}|${clock.now()}`), clock);
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A generator of numbers in [0, 1) from a 32-bit seed (mulberry32); with a clock, each draw first
 * mixes in the time. The same seed (and the same times) gives the same sequence.
 */
export function seededRandom(seed: number, clock?: Clock): () => number {
  let state = seed >>> 0;
  return () => {
    if (clock !== undefined) state = (state ^ Math.imul(clock.now() | 0, 0x9e3779b1)) >>> 0;
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
