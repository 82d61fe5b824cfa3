import { describe, expect, it } from "vitest";
import type { MqttClient } from "cellmqtt/mqtt/client";
import { ModemRig } from "../support/modem-rig.ts";

const hex = (s: string): string => Buffer.from(s, "latin1").toString("hex");

function both(r: ModemRig): [MqttClient, MqttClient] {
  const c1 = r.client({ host: "a.example", clientId: "one", slot: 1 });
  const c2 = r.client({ host: "b.example", clientId: "two", slot: 2 });
  r.start();
  r.until(() => c1.connected && c2.connected && !r.modem.inbound.busy, 60_000);
  return [c1, c2];
}

describe("two client ids on one UART", () => {
  it("both open, each with its own credentials and host", () => {
    const r = new ModemRig();
    const [c1, c2] = both(r);
    expect(c1.connected && c2.connected).toBe(true);
    expect(r.fake.linesMatching(/^AT\+MQTT(USER|OPEN=)/).sort()).toEqual([
      'AT+MQTTOPEN=1,"a.example",1883,1,60',
      'AT+MQTTOPEN=2,"b.example",1883,1,60',
      'AT+MQTTUSER=1,"","","one"',
      'AT+MQTTUSER=2,"","","two"',
    ]);
    expect(r.fake.overlaps).toEqual([]);
    expect(r.events.sort()).toEqual(["c1 connect", "c2 connect"]);
  });

  it("a largest-size publish on each id waits for transmit room instead of failing", () => {
    const r = new ModemRig();
    const [c1, c2] = both(r);
    const topic = "t/".padEnd(255, "x");
    // QoS 0: no retry would hide a message failed for want of room.
    const payload = new Uint8Array(1024).fill(0x01); // not printable: the length form
    const results: string[] = [];
    expect(c1.publish(topic, payload, { qos: 0 }, (e) => results.push(`c1 ${e ? e.message : "ok"}`))).toBe(true);
    expect(c2.publish(topic, payload, { qos: 0 }, (e) => results.push(`c2 ${e ? e.message : "ok"}`))).toBe(true);
    r.run(2000);
    expect(results.sort()).toEqual(["c1 ok", "c2 ok"]);
    expect(r.fake.payloads.map((p) => p.length)).toEqual([1024, 1024]);
    expect(r.errors).toEqual([]);
  });

  it("messages are routed by client id (mode 1 reads and mode 0 lines)", () => {
    const r = new ModemRig();
    both(r);
    const mark = r.fake.lines.length;
    r.fake.message(2, "t", "for two", 1);
    r.fake.message(1, "t", "for one", 0);
    r.fake.message(2, "u", "again two", 2);
    r.run(500);
    expect(r.events.filter((e) => e.includes("message"))).toEqual([
      `c2 message t ${hex("for two")} qos1 slot2`,
      `c1 message t ${hex("for one")} qos0 slot1`,
      `c2 message u ${hex("again two")} qos2 slot2`,
    ]);
    expect(r.fake.lines.slice(mark).filter((l) => l.startsWith("AT+MQTTREAD"))).toEqual(["AT+MQTTREAD=2", "AT+MQTTREAD=1", "AT+MQTTREAD=2"]);
    r.fake.urc('+MQTTMSG: 2,0,"m","zero"');
    r.run(10);
    expect(r.events.at(-1)).toBe(`c2 message m ${hex("zero")} qos0 slot2`);
  });

  it("statuses are routed by id: a subscribe refused on 2 and a publish on 1 do not mix", () => {
    const r = new ModemRig();
    const [c1, c2] = both(r);
    r.fake.when(/^AT\+MQTTSUB=2,/, (reply) => {
      reply.final("OK");
      reply.line("+MQTTSUB: 2,0", 200);
    }, 1);
    const subs: string[] = [];
    const pubs: string[] = [];
    c2.subscribe("x", {}, (e) => subs.push(e ? "2:err" : "2:ok"));
    c1.subscribe("x", {}, (e) => subs.push(e ? "1:err" : "1:ok"));
    c1.publish("p", "1", { qos: 1 }, (e) => pubs.push(e ? "1:err" : "1:ok"));
    r.run(1000);
    expect(subs.sort()).toEqual(["1:ok", "2:err"]);
    expect(pubs).toEqual(["1:ok"]);
    expect(r.errors.map((e) => `${e.name} ${e.code}`)).toEqual(["c2 SUBSCRIBE_FAILED"]);
  });

  it("a break (cause 1) on one does not disturb the other", () => {
    const r = new ModemRig();
    const [c1, c2] = both(r);
    const mark = r.fake.lines.length;
    r.fake.breakConnection(1, 1);
    r.run(10);
    const got: string[] = [];
    c2.publish("t", "during", { qos: 1 }, (e) => got.push(e ? "err" : "ok"));
    r.until(() => c1.connected, 60_000);
    r.run(200);
    expect(got).toEqual(["ok"]);
    expect(r.events.filter((e) => e.startsWith("c2"))).toEqual(["c2 connect"]);
    expect(c2.connected).toBe(true);
    const after = r.fake.lines.slice(mark);
    expect(after.filter((l) => /^AT\+MQTT(USER|OPEN=|CLOSE)=?2/.test(l))).toEqual([]);
    expect(after.filter((l) => l.startsWith("AT+MQTTOPEN="))).toEqual(['AT+MQTTOPEN=1,"a.example",1883,1,60']);
  });

  it("a wireless loss (cause 2 on both ids): one bring-up, then both reopen", () => {
    const r = new ModemRig();
    const [c1, c2] = both(r);
    const mark = r.fake.lines.length;
    r.fake.breakConnection(1, 2);
    r.fake.breakConnection(2, 2);
    r.run(10);
    r.until(() => c1.connected && c2.connected, 120_000);
    const after = r.fake.lines.slice(mark);
    expect(after.filter((l) => l === "AT+CEREG?")).toHaveLength(1);
    expect(after.filter((l) => l === "AT+MIPCALL=1")).toHaveLength(1);
    expect(after.filter((l) => l.startsWith("AT+MQTTOPEN=")).sort()).toEqual(['AT+MQTTOPEN=1,"a.example",1883,1,60', 'AT+MQTTOPEN=2,"b.example",1883,1,60']);
  });

  it("a refusal reported after OK goes to the id awaiting its open, not the open one", () => {
    const r = new ModemRig();
    const c1 = r.client({ host: "a.example", clientId: "one", slot: 1 });
    r.start();
    r.until(() => c1.connected, 60_000);
    r.fake.openOutcome[2] = { kind: "late", code: 704 };
    r.client({ host: "b.example", clientId: "two", slot: 2 });
    r.run(1000);
    expect(r.errors.map((e) => `${e.name} ${e.code}`)).toEqual(["c2 NOT_AUTHORIZED"]);
    expect(c1.connected).toBe(true);
    expect(r.events.filter((e) => e.startsWith("c1"))).toEqual(["c1 connect"]);
  });
});
