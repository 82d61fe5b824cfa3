/**
 * The soak at CI length: two simulated hours of random faults through the whole stack. The full
 * run is `npm run soak -- --hours 24`.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runSoak, type SoakReport } from "../../hosts/emulator/soak.ts";
import { parseSoakFlags } from "../../hosts/emulator/soak-cli.ts";

const CLI = fileURLToPath(new URL("../../hosts/emulator/soak-cli.ts", import.meta.url));

describe("soak", () => {
  it("runs two simulated hours of every kind of fault, and every publish callback fires exactly once", async () => {
    const r: SoakReport = await runSoak({ hours: 2, seed: 1 });
    // The run did what it says: traffic all along, and faults of many kinds.
    expect(r.published).toBeGreaterThan(600);
    const faults = Object.values(r.faults).reduce((a, b) => a + b, 0);
    expect(faults).toBeGreaterThan(40);
    expect(Object.keys(r.faults).length).toBeGreaterThan(15);
    expect(r.recovery.count).toBeGreaterThan(0);
    expect(r.inboundSent).toBeGreaterThan(200);
    // Required zeros that hold.
    expect(r.neverFired).toBe(0);
    expect(r.firedTwice).toBe(0);
    expect(r.published).toBe(r.delivered + r.lost);
  }, 180_000);

  it("refuses bad flags with one line naming the flag and its range", () => {
    for (const [args, flag] of [
      [["--hours", "0"], "--hours"],
      [["--hours", "abc"], "--hours"],
      [["--hours", "169"], "--hours"],
      [["--hours", "-1"], "--hours"],
      [["--seed", "1.5"], "--seed"],
      [["--seed", "4294967296"], "--seed"],
      [["--bogus"], "bogus"],
      [["--hours"], "--hours"],
      [["extra"], "extra"],
    ] as const) {
      const got = parseSoakFlags(args);
      expect("error" in got && got.error, args.join(" ")).toContain(flag);
      expect("error" in got && got.error.includes("\n")).toBe(false);
    }
    expect(parseSoakFlags(["--hours", "0.5", "--seed", "7"])).toEqual({ hours: 0.5, seed: 7, trace: false });
    expect(parseSoakFlags([])).toEqual({ hours: 24, seed: 1, trace: false });
  });

  it("the command exits 2 on a bad flag, with that one line and nothing else", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", CLI, "--hours", "0"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('soak: --hours must be a number of simulated hours above 0 and at most 168, got "0"\n');
    expect(run.stdout).toBe("");
  }, 30_000);
});
