import { describe, expect, it } from "vitest";
import { ModemRig } from "../support/modem-rig.ts";
import type { ModemLimits } from "cellmqtt/modem/limits-probe";

describe("learning the modem's limits from its test forms (=?)", () => {
  it("asks each test form in turn and fills the limits from the answers", () => {
    const rig = new ModemRig();
    rig.fake.when(/^AT\+MQTTPUB=\?$/, (r) => {
      r.line("+MQTTPUB: (1,2),128,(0-1),(0,1),512");
      r.final("OK");
    });
    rig.fake.when(/^AT\+MQTTUSER=\?$/, (r) => {
      r.line("+MQTTUSER: (1),64,64,20");
      r.final("OK");
    });
    rig.fake.when(/^AT\+MQTTWILL=\?$/, (r) => r.final("ERROR"));
    let got: ModemLimits | null = null;
    rig.modem.probeLimits((l) => (got = l));
    rig.run(1000);
    expect(rig.fake.lines).toEqual(["AT+MQTTUSER=?", "AT+MQTTOPEN=?", "AT+MQTTSUB=?", "AT+MQTTPUB=?", "AT+MQTTWILL=?", "AT+MQTTCONF=?"]);
    expect(got).not.toBeNull();
    expect(got!).toMatchObject({
      usernameMax: 64, passwordMax: 64, clientIdMax: 20, clientIds: [1],
      portMax: 65535, keepaliveMax: 300, topicMax: 128, payloadMax: 512,
      willPayloadMax: 1024, // its test form failed: the manual's value stays
      modes: [0, 1], probed: true,
    });
  });

  it("never loosens a limit past the manual's, whatever the modem claims", () => {
    const rig = new ModemRig();
    rig.fake.when(/^AT\+MQTTPUB=\?$/, (r) => {
      r.line("+MQTTPUB: (1,2),4096,(0-2),(0,1),65535");
      r.final("OK");
    });
    rig.modem.probeLimits();
    rig.run(1000);
    expect(rig.modem.limits.topicMax).toBe(255);
    expect(rig.modem.limits.payloadMax).toBe(1024);
  });

  it("validation honours the learned limits: a payload over them is refused by name", () => {
    const rig = new ModemRig();
    rig.fake.when(/^AT\+MQTTPUB=\?$/, (r) => {
      r.line("+MQTTPUB: (1,2),255,(0-2),(0,1),100");
      r.final("OK");
    });
    rig.modem.probeLimits();
    rig.run(1000);
    const c = rig.connected();
    const errors: string[] = [];
    expect(c.publish("t/x", new Uint8Array(101), { qos: 0 }, (e) => errors.push(String(e?.message)))).toBe(false);
    expect(errors).toEqual(["payload: length must be 0 to 100 bytes, got 101"]);
    expect(c.publish("t/x", new Uint8Array(100), { qos: 0 })).toBe(true);
  });

  it("an async +MQTTOPEN status arriving during the probe is not taken for an answer", () => {
    const rig = new ModemRig();
    rig.fake.when(/^AT\+MQTTOPEN=\?$/, (r) => {
      r.line("+MQTTOPEN: 2,1");
      r.line('+MQTTOPEN: (1,2),"",(1-8883),(0,1),(1-120)');
      r.final("OK");
    });
    rig.modem.probeLimits();
    rig.run(1000);
    expect(rig.modem.limits.portMax).toBe(8883);
    expect(rig.modem.limits.keepaliveMax).toBe(120);
  });
});
