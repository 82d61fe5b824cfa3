/**
 * Reconnect jitter that differs per device and per boot, even where Math.random repeats itself
 * on every run (XS on Linux: an unseeded rand()).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { hashSeed, seededRandom } from "cellmqtt/modem/jitter";
import { ModemRig } from "../support/modem-rig.ts";
import Preference from "../firmware/moddable/preference.ts";
import { BOOTS_KEY, PREFERENCE_DOMAIN, countBoot } from "../../src/settings.ts";

afterEach(() => {
  vi.restoreAllMocks();
  Preference.erase();
});

function draws(random: () => number, n = 8): number[] {
  return Array.from({ length: n }, () => random());
}

/** The first reconnect delays a session logs while every reopen is refused, with `seed` and no `random`. */
function delays(seed: string): number[] {
  const r = new ModemRig({ modem: { random: undefined, seed } });
  const c = r.connected({ reconnectPeriod: 1000, reconnectMaxPeriod: 60_000 });
  const lines: string[] = [];
  c.on("log", (line) => lines.push(line));
  r.fake.when(/^AT\+MQTTOPEN=/, (reply) => reply.final("ERROR"));
  r.fake.breakConnection(1, 1);
  const logged = (): number[] => lines.flatMap((l) => /reconnecting in (\d+) ms/.exec(l)?.slice(1).map(Number) ?? []);
  r.until(() => logged().length >= 5, 600_000, 50);
  return logged().slice(0, 5);
}

describe("reconnect jitter", () => {
  it("two seeds give two different sequences; one seed always the same", () => {
    expect(draws(seededRandom(1))).not.toEqual(draws(seededRandom(2)));
    expect(draws(seededRandom(hashSeed("dev|1|0")))).not.toEqual(draws(seededRandom(hashSeed("dev|2|0"))));
    expect(draws(seededRandom(42))).toEqual(draws(seededRandom(42)));
    for (const x of draws(seededRandom(7), 1000)) expect(x >= 0 && x < 1).toBe(true);
  });

  it("with Math.random the same on every run, the modem's seed still sets the delays apart", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.8401877171547095); // XS's first rand() on Linux, every run
    const boot1 = delays("pump-17|1|0");
    const boot2 = delays("pump-17|2|0");
    const other = delays("pump-18|1|0");
    expect(boot1).toHaveLength(5);
    expect(boot1).not.toEqual(boot2);
    expect(boot1).not.toEqual(other);
    // The seed is what differs: the same seed on the same timeline draws the same delays.
    expect(delays("pump-17|1|0")).toEqual(boot1);
    // Each within the backoff's bounds: [1000, 1000 * 2^attempt].
    boot1.forEach((d, i) => expect(d >= 1000 && d <= Math.min(60_000, 1000 * 2 ** i)).toBe(true));
  });

  it("the boot count the firmware seeds with grows by one per boot and is saved", () => {
    expect([countBoot(Preference), countBoot(Preference), countBoot(Preference)]).toEqual([1, 2, 3]);
    expect(Preference.get(PREFERENCE_DOMAIN, BOOTS_KEY)).toBe(3);
    Preference.set(PREFERENCE_DOMAIN, BOOTS_KEY, "junk");
    expect(countBoot(Preference)).toBe(1);
    const refusing = { get: () => undefined, set: () => { throw new Error("nvs set fail"); } };
    expect(countBoot(refusing)).toBe(0);
  });
});
