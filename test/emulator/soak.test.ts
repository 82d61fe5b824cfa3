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
  it("runs two simulated hours of every kind of fault: no QoS 1 message lost or altered, every callback once, no command as payload", async () => {
    const r: SoakReport = await runSoak({ hours: 2, seed: 1 });
    // The run did what it says: traffic all along, and faults of many kinds.
    expect(r.published).toBeGreaterThan(600);
    const faults = Object.values(r.faults).reduce((a, b) => a + b, 0);
    expect(faults).toBeGreaterThan(40);
    expect(Object.keys(r.faults).length).toBeGreaterThan(15);
    expect(r.recovery.count).toBeGreaterThan(0);
    expect(r.inboundSent).toBeGreaterThan(200);
    // The required zeros: no QoS 1 message lost or altered, every callback once, no command
    // taken as payload.
    expect(r.lost, "lost").toBe(0);
    expect(r.wrong, "delivered wrong").toBe(0);
    expect(r.neverFired, "callbacks that never fired").toBe(0);
    expect(r.firedTwice, "callbacks that fired twice").toBe(0);
    expect(r.commandsAsPayload, "commands consumed as payload").toBe(0);
    expect(r.spurious, "messages the application never sent").toBe(0);
    expect(r.delivered).toBe(r.published);
  }, 180_000);

  it("holds the same zeros with the length form's data as hex text", async () => {
    const r = await runSoak({ hours: 1, seed: 2, publishData: "hex" });
    expect(r.published).toBeGreaterThan(300);
    expect(Object.values(r.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(15);
    expect([r.lost, r.wrong, r.spurious, r.neverFired, r.firedTwice, r.commandsAsPayload]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.delivered).toBe(r.published);
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
      [["--publish-data", "base64"], "--publish-data"],
    ] as const) {
      const got = parseSoakFlags(args);
      expect("error" in got && got.error, args.join(" ")).toContain(flag);
      expect("error" in got && got.error.includes("\n")).toBe(false);
    }
    expect(parseSoakFlags(["--hours", "0.5", "--seed", "7", "--publish-data", "hex"])).toEqual({ hours: 0.5, seed: 7, publishData: "hex", trace: false });
    expect(parseSoakFlags([])).toEqual({ hours: 24, seed: 1, publishData: "raw", trace: false });
  });

  it("the command exits 2 on a bad flag, with that one line and nothing else", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", CLI, "--hours", "0"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('soak: --hours must be a number of simulated hours above 0 and at most 168, got "0"\n');
    expect(run.stdout).toBe("");
  }, 30_000);
});
