import { describe, expect, it } from "vitest";
import { ModemRig } from "../support/modem-rig.ts";
import type { SplitMode } from "../support/fake-modem.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A scenario touching every answer form: bring-up with echo, will, subscribe, both publish forms, reads, a break, a refusal, a reboot. */
function scenario(split: SplitMode, seed = 1): { events: string[]; lines: string[]; payloads: string[] } {
  const r = new ModemRig({ fake: { split, seed } });
  const c = r.connected({ will: { topic: "w", payload: "gone" } });
  c.subscribe("t/#", { qos: 1 });
  c.publish("t/a", "plain", { qos: 1 });
  c.publish("t/b", Uint8Array.from({ length: 300 }, (_, i) => i & 0xff), { qos: 2 });
  r.run(500);
  r.fake.message(1, "t/x", '"\r\nOK\r\n+MQTTBREAK: 1,1\r\n', 1);
  r.fake.message(1, "t/y", new Uint8Array([0, 0xff, 0x3e]), 0);
  r.run(500);
  r.fake.breakConnection(1, 1);
  r.fake.openOutcome[1] = { kind: "late", code: 703 };
  r.run(5000);
  r.fake.reboot(500);
  r.run(120_000);
  return { events: r.events, lines: r.fake.lines, payloads: r.fake.payloads.map(hex) };
}

describe("fake modem", () => {
  it("gives identical events and wire whether its output comes whole, byte by byte or in random chunks", () => {
    const whole = scenario("whole");
    expect(whole.events).toContain(`c1 message t/x ${hex(Buffer.from('"\r\nOK\r\n+MQTTBREAK: 1,1\r\n', "latin1"))} qos1 slot1`);
    expect(whole.events).toContain("c1 error BAD_USERNAME_OR_PASSWORD");
    expect(whole.events.at(-1)).toBe("c1 connect");
    expect(scenario("bytes")).toEqual(whole);
    for (let seed = 1; seed <= 20; seed++) expect(scenario("random", seed)).toEqual(whole);
  });

  it("echoes commands until ATE0, and again after a reboot until ATE0", () => {
    const r = new ModemRig();
    r.connected();
    expect(r.fake.delivered.match(/^AT\r|\nAT[^\r\n]*\r(?!\n)/g)?.length).toBe(2);
    r.fake.reboot(10);
    r.run(60_000);
    expect(r.fake.echo).toBe(false);
    const afterRdy = r.fake.delivered.slice(r.fake.delivered.indexOf("RDY"));
    expect(afterRdy).toContain("\r\nAT\r\r\nOK\r\nATE0\r\r\nOK");
  });

  it("counts exactly N raw bytes after '>' and records them apart from command lines", () => {
    const r = new ModemRig();
    const c = r.connected();
    const payload = new Uint8Array([0x0d, 0x41, 0x54, 0x0d, 0x1a]); // looks like "\rAT\r" + Ctrl-Z
    c.publish("t", payload, { qos: 1 });
    r.run(200);
    expect(r.fake.lines.at(-1)).toBe('AT+MQTTPUB=1,"t",1,0,5');
    expect(r.fake.payloads.map(hex)).toEqual([hex(payload)]);
    expect(r.fake.count(/^AT$/)).toBe(1); // the payload's "AT" was not taken as a command
  });
});
