import { describe, expect, it } from "vitest";
import { ModemRig } from "../support/modem-rig.ts";

describe("bring-up after a boot", () => {
  it("lets a late answer to a command sent while the modem booted land as a stray, not as the next command's answer", () => {
    const rig = new ModemRig();
    // The first AT went out while the modem was still booting; its OK comes late, after the
    // answer to the sync AT, as seen through a pty that buffered it.
    rig.fake.when(/^AT$/, (r) => {
      r.final("OK");
      r.raw("\r\nOK\r\n", 1);
    }, 1);
    const c = rig.connected();
    expect(c.connected).toBe(true);
    expect(rig.logs.some((l) => l.includes("SIM not ready"))).toBe(false);
    expect(rig.logs.some((l) => l.includes("unhandled line"))).toBe(false);
    expect(rig.logs.some((l) => l.includes("unmatched result"))).toBe(true);
    expect(rig.fake.lines.slice(0, 4)).toEqual(["AT", "ATE0", "AT+CPIN?", "AT+CEREG?"]);
  });

  it("takes the boot banner that comes before the first AT's answer as the boot it is, not as a reason to start over", () => {
    const rig = new ModemRig();
    // The modem boots while the first AT is on its way: RDY, then the answer to that AT.
    rig.fake.when(/^AT$/, (r) => {
      r.raw("\r\nRDY\r\n");
      r.final("OK", 5);
    }, 1);
    const c = rig.connected();
    expect(c.connected).toBe(true);
    expect(rig.logs.some((l) => l.includes("modem restarted (RDY)"))).toBe(true);
    expect(rig.logs.filter((l) => l.includes("unmatched result"))).toEqual([]);
    expect(rig.fake.lines.slice(0, 3)).toEqual(["AT", "ATE0", "AT+CPIN?"]);
  });

  it("still starts over when the modem reboots after bring-up got past its first step", () => {
    const rig = new ModemRig();
    rig.fake.when(/^ATE0$/, (r) => {
      r.final("OK");
      r.raw("\r\nRDY\r\n", 5);
    }, 1);
    const c = rig.connected();
    expect(c.connected).toBe(true);
    expect(rig.fake.lines.filter((l) => l === "ATE0").length).toBe(2);
  });
});

