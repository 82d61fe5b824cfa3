import { describe, expect, it } from "vitest";
import type { MqttClient } from "cellmqtt/mqtt/client";
import Ecma419Client from "cellmqtt/mqtt/ecma419-client";
import { ModemRig } from "../support/modem-rig.ts";

const PUB = /^AT\+MQTTPUB=/;

/** Publishes `payloads` at QoS `qos` and records each callback's outcome. */
function publishAll(c: MqttClient, payloads: string[], qos: 0 | 1 | 2): Map<string, string[]> {
  const told = new Map<string, string[]>();
  for (const p of payloads) {
    told.set(p, []);
    c.publish("t", p, { qos }, (e) => told.get(p)!.push(e ? "error" : "ok"));
  }
  return told;
}

function logsOf(c: MqttClient): string[] {
  const out: string[] = [];
  c.on("log", (l) => out.push(l));
  return out;
}

describe("+MQTTPUB statuses name no message", () => {
  it("one QoS 1/2 publish awaits its status at a time: the next goes only after it", () => {
    const r = new ModemRig();
    const c = r.connected();
    const told = publishAll(c, ["a", "b", "c"], 1);
    r.run(1);
    expect(r.fake.count(PUB)).toBe(1);
    r.run(2000);
    expect([...told.values()]).toEqual([["ok"], ["ok"], ["ok"]]);
    // Each AT+MQTTPUB went after the previous one's status was delivered.
    const sent = r.fake.wire.filter((w) => w.kind === "line" && PUB.test(w.text)).map((w) => w.at);
    const statuses = [...r.fake.delivered.matchAll(/\+MQTTPUB: 1,1/g)].length;
    expect(statuses).toBe(3);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(r.fake.latency.status);
    expect(r.fake.overlaps).toEqual([]);
  });

  it("QoS 0 publishes pipeline and are done at OK; a QoS 1 behind them waits for their statuses", () => {
    const r = new ModemRig();
    r.fake.latency.status = 200;
    const c = r.connected();
    const zero = publishAll(c, ["z1", "z2", "z3"], 0);
    const one = publishAll(c, ["q"], 1);
    r.run(100);
    // All three QoS 0 sent before any status came; the QoS 1 not yet.
    expect(r.fake.linesMatching(PUB)).toEqual(['AT+MQTTPUB=1,"t",0,0,"z1"', 'AT+MQTTPUB=1,"t",0,0,"z2"', 'AT+MQTTPUB=1,"t",0,0,"z3"']);
    expect([...zero.values()]).toEqual([["ok"], ["ok"], ["ok"]]);
    expect(one.get("q")).toEqual([]);
    r.run(1000);
    expect(r.fake.linesMatching(PUB).at(-1)).toBe('AT+MQTTPUB=1,"t",1,0,"q"');
    expect(one.get("q")).toEqual(["ok"]);
    expect(r.modem.counters()).toMatchObject({ published: 4, publishFailed: 0, resent: 0, statusesIgnored: 0 });
  });

  it("a lost status: the QoS 1 message is sent again after statusTimeout, its callback told once", () => {
    const r = new ModemRig();
    const c = r.connected({ statusTimeout: 3000 });
    // The first publish's status is lost on the line.
    r.fake.when(PUB, (reply) => reply.final("OK"), 1);
    const told = publishAll(c, ["m"], 1);
    r.run(2900);
    expect(r.fake.count(PUB)).toBe(1);
    expect(told.get("m")).toEqual([]);
    r.until(() => r.fake.count(PUB) === 2, 10_000);
    r.run(500);
    expect(told.get("m")).toEqual(["ok"]);
    expect(r.fake.published.map((p) => Buffer.from(p.payload).toString())).toEqual(["m"]);
    expect(r.modem.counters()).toMatchObject({ published: 1, resent: 1 });
    r.run(60_000);
    expect(told.get("m")).toEqual(["ok"]);
  });

  it("a duplicated status is ignored: it does not acknowledge the next message", () => {
    const r = new ModemRig();
    const c = r.connected();
    const logs = logsOf(c);
    // The first message is refused by the broker (status 0), and the modem repeats that status.
    r.fake.when(PUB, (reply) => {
      reply.final("OK");
      reply.line("+MQTTPUB: 1,0", 20);
      reply.line("+MQTTPUB: 1,0", 21);
    }, 1);
    const told = publishAll(c, ["a", "b"], 1);
    r.run(3000);
    // "a" was retried and acknowledged; "b" got its own status, not the duplicate 0.
    expect([...told.values()]).toEqual([["ok"], ["ok"]]);
    expect(r.fake.published.map((p) => Buffer.from(p.payload).toString()).sort()).toEqual(["a", "b"]);
    expect(r.modem.counters().statusesIgnored).toBe(1);
    expect(logs).toContain("mqtt[1] ignored +MQTTPUB: 1,0: nothing awaits a status");
  });

  it("a status nothing awaits is logged, counted and ignored", () => {
    const r = new ModemRig();
    const c = r.connected();
    const logs = logsOf(c);
    r.fake.urc("+MQTTPUB: 1,1");
    r.fake.urc("+MQTTSUB: 1,1");
    r.fake.urc("+MQTTUNSUB: 1,0");
    r.run(10);
    expect(r.modem.counters().statusesIgnored).toBe(3);
    expect(logs).toEqual([
      "mqtt[1] ignored +MQTTPUB: 1,1: nothing awaits a status",
      "mqtt[1] ignored +MQTTSUB: 1,1: nothing awaits a status",
      "mqtt[1] ignored +MQTTUNSUB: 1,0: nothing awaits a status",
    ]);
    expect(r.events).toEqual(["c1 connect"]);
  });

  it("every status lost: each QoS 1 callback still fires once, in bounded time, with an error", () => {
    const r = new ModemRig();
    const c = r.connected({ statusTimeout: 1000, publishAttempts: 3, reconnectPeriod: 500 });
    r.fake.when(PUB, (reply) => reply.final("OK"));
    const told = publishAll(c, ["a", "b"], 1);
    r.run(30_000);
    expect([...told.values()]).toEqual([["error"], ["error"]]);
    expect(r.modem.counters()).toMatchObject({ publishFailed: 2, resent: 6 });
  });
});

describe("subscribe and unsubscribe statuses", () => {
  it("one subscribe outstanding at a time: the next goes after the status", () => {
    const r = new ModemRig();
    r.fake.latency.status = 300;
    const c = r.connected();
    c.subscribe(["a", "b", "c"], { qos: 1 });
    r.run(100);
    expect(r.fake.linesMatching(/^AT\+MQTTSUB/)).toEqual(['AT+MQTTSUB=1,"a",1']);
    r.run(2000);
    expect(r.fake.linesMatching(/^AT\+MQTTSUB/)).toEqual(['AT+MQTTSUB=1,"a",1', 'AT+MQTTSUB=1,"b",1', 'AT+MQTTSUB=1,"c",1']);
    expect(r.fake.slots[1]!.subs).toEqual(new Set(["a", "b", "c"]));
  });

  it("a subscribe answered ERROR is reported, then retried with backoff until it holds", () => {
    const r = new ModemRig({ modem: { random: () => 0 } });
    const c = r.connected({ reconnectPeriod: 1000 });
    r.fake.when(/^AT\+MQTTSUB=/, (reply) => reply.final("ERROR"), 2);
    const told: string[] = [];
    c.subscribe("s", { qos: 1 }, (e) => told.push(e ? "error" : "ok"));
    r.run(500);
    expect(r.errors.map((e) => e.code)).toEqual(["SUBSCRIBE_FAILED"]);
    expect(r.errors[0]!.message).toMatch(/subscribe to "s" failed \(AT\+MQTTSUB failed: ERROR\); trying again/);
    r.run(5000);
    expect(r.fake.count(/^AT\+MQTTSUB=1,"s",1$/)).toBe(3);
    expect(r.fake.slots[1]!.subs).toEqual(new Set(["s"]));
    // The callback was told once, of the first outcome.
    expect(told).toEqual(["error"]);
  });

  it("a subscribe whose status never comes is tried again", () => {
    const r = new ModemRig({ modem: { random: () => 0 } });
    const c = r.connected({ statusTimeout: 2000, reconnectPeriod: 1000 });
    r.fake.when(/^AT\+MQTTSUB=/, (reply) => reply.final("OK"), 1);
    c.subscribe("s", { qos: 0 });
    r.run(2500);
    expect(r.errors.map((e) => e.message)).toEqual(['client 1: subscribe to "s" failed (no +MQTTSUB status in time); trying again']);
    r.run(2000);
    expect(r.fake.count(/^AT\+MQTTSUB=1,"s",0$/)).toBe(2);
    expect(r.fake.slots[1]!.subs).toEqual(new Set(["s"]));
  });
});

describe("liveness without URCs", () => {
  it("a data call lost without +MIPCALL: 0: the publish's ERROR checks the link, which redials and reopens; the message gets through", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.loseCall();
    const told = publishAll(c, ["m"], 1);
    r.until(() => r.fake.count(/^AT\+MIPCALL\?$/) === 2, 5000);
    expect(r.logs.some((l) => l.includes("checking the link: client 1: AT+MQTTPUB answered ERROR"))).toBe(true);
    r.until(() => told.get("m")!.length > 0, 60_000);
    expect(told.get("m")).toEqual(["ok"]);
    expect(r.logs.some((l) => l.includes("data call gone (AT+MIPCALL? found none; no +MIPCALL: 0 came)"))).toBe(true);
    expect(r.fake.count(/^AT\+MIPCALL=1$/)).toBe(2);
    expect(r.modem.counters().linkChecks).toBe(1);
  });

  it("a connection lost without +MQTTBREAK: AT+MQTTOPEN? lists the id as free, and the session reopens", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.loseConnection(1);
    const told = publishAll(c, ["m"], 2);
    r.until(() => told.get("m")!.length > 0, 60_000);
    expect(told.get("m")).toEqual(["ok"]);
    expect(r.fake.lines).toContain("AT+MQTTOPEN?");
    expect(r.events).toEqual(["c1 connect", "c1 offline connection gone (AT+MQTTOPEN? lists the id as free; no +MQTTBREAK came)", "c1 reconnect", "c1 connect"]);
    expect(r.fake.count(/^AT\+MIPCALL=1$/)).toBe(1); // the call was fine: not redialed
  });

  it("a quiet line for a keepalive gets a check, which finds a silent loss", () => {
    const r = new ModemRig();
    const c = r.connected({ keepalive: 30 });
    const mark = r.fake.lines.length;
    r.fake.loseConnection(1);
    r.run(25_000);
    expect(r.fake.lines.slice(mark)).toEqual([]);
    r.run(40_000);
    expect(r.fake.lines.slice(mark, mark + 2)).toEqual(["AT+MIPCALL?", "AT+MQTTOPEN?"]);
    r.until(() => c.connected, 30_000);
    expect(r.events.at(-1)).toBe("c1 connect");
  });

  it("a reboot without RDY is found by the echo it brings back, and bring-up reruns", () => {
    const r = new ModemRig();
    const c = r.connected({ keepalive: 10 });
    r.fake.reboot(500, false);
    r.until(() => r.logs.some((l) => l.includes("modem restarted without RDY (commands echoed again)")), 60_000);
    r.until(() => c.connected, 60_000);
    expect(r.fake.mode).toBe(1); // the message mode was set again
    expect(r.fake.echo).toBe(false);
  });

  it("+MQTTBREAK with a cause outside 1-3 is taken as cause 1: the session reconnects", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.slots[1]!.state = 0;
    r.fake.urc("+MQTTBREAK: 1,7");
    r.run(10);
    expect(r.logs.some((l) => l.endsWith("+MQTTBREAK: 1,7 (unknown cause, taken as 1)"))).toBe(true);
    r.until(() => c.connected, 30_000);
    expect(r.events).toEqual(["c1 connect", "c1 offline disconnected by the broker or keepalive", "c1 reconnect", "c1 connect"]);
  });
});

describe("closing", () => {
  it("+MQTTCLOSE: <id>,0 on end is a failure, reported, not a clean close", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.when(/^AT\+MQTTCLOSE=1$/, (reply) => {
      reply.final("OK");
      reply.line("+MQTTCLOSE: 1,0", 20);
    }, 1);
    let closed = 0;
    c.end(() => closed++);
    r.run(100);
    expect(r.errors.map((e) => e.message)).toEqual(["client 1: close failed (+MQTTCLOSE: 1,0); the next connect closes it first"]);
    expect(closed).toBe(1);
  });

  it("a reopen waits for the close's result, not its OK", () => {
    const r = new ModemRig();
    r.fake.when(/^AT\+MQTTOPEN\?$/, (reply) => {
      reply.line("+MQTTOPEN: 2");
      reply.final("OK");
    }, 1);
    r.fake.when(/^AT\+MQTTCLOSE=1$/, (reply) => {
      reply.final("OK");
      reply.line("+MQTTCLOSE: 1,1", 800);
    }, 1);
    const c = r.connected();
    const close = r.fake.wire.find((w) => w.kind === "line" && w.text === "AT+MQTTCLOSE=1")!.at;
    const user = r.fake.wire.find((w) => w.kind === "line" && w.text.startsWith("AT+MQTTUSER="))!.at;
    expect(user - close).toBeGreaterThanOrEqual(800);
    expect(c.connected).toBe(true);
  });

  it("a reopen whose close never reports goes on after the close's timeout", () => {
    const r = new ModemRig();
    r.fake.when(/^AT\+MQTTOPEN\?$/, (reply) => {
      reply.line("+MQTTOPEN: 2");
      reply.final("OK");
    }, 1);
    r.fake.when(/^AT\+MQTTCLOSE=1$/, (reply) => reply.final("OK"), 1);
    const c = r.connected({ commandTimeout: 4000 });
    const close = r.fake.wire.find((w) => w.kind === "line" && w.text === "AT+MQTTCLOSE=1")!.at;
    const user = r.fake.wire.find((w) => w.kind === "line" && w.text.startsWith("AT+MQTTUSER="))!.at;
    expect(user - close).toBeGreaterThanOrEqual(4000);
    expect(c.connected).toBe(true);
  });
});

describe("messages announced while the line was faulty", () => {
  it("after a reconnect, the client id is read until the modem holds nothing: a lost +MQTTMSGI is still delivered", () => {
    const r = new ModemRig();
    const c = r.connected();
    c.subscribe("in", { qos: 1 });
    r.run(200);
    r.fake.breakConnection(1, 1);
    // Held for the session by the broker; its announcement after the reopen is lost on the line.
    r.fake.slots[1]!.inbox.push({ topic: Buffer.from("in"), payload: Buffer.from("z"), qos: 1 });
    r.until(() => r.events.filter((e) => e === "c1 connect").length === 2 && !r.modem.inbound.busy, 30_000);
    expect(r.events.at(-1)).toBe(`c1 message in ${Buffer.from("z").toString("hex")} qos1 slot1`);
    expect(r.fake.delivered).toContain("+MQTTREAD: 1,0,0,0\r\n");
  });

  it("after the channel resyncs (a command given up), each open client id is read again", () => {
    const r = new ModemRig();
    r.connected();
    r.fake.slots[1]!.inbox.push({ topic: Buffer.from("in"), payload: Buffer.from("lost"), qos: 0 });
    r.fake.when(/^AT\+CSQ$/, (reply) => reply.ignore(), 1);
    r.modem.link.requestSignal();
    r.until(() => r.events.some((e) => e.includes("message")), 30_000);
    expect(r.logs.some((l) => l.endsWith("at: back in step"))).toBe(true);
    expect(r.events.at(-1)).toBe(`c1 message in ${Buffer.from("lost").toString("hex")} qos0 slot1`);
  });
});

describe("modem.stop()", () => {
  it("closes the sessions, hangs up, cancels every timer; afterwards nothing is sent", () => {
    const r = new ModemRig();
    const c = r.connected();
    c.publish("t", "queued", { qos: 1 });
    const mark = r.fake.lines.length;
    r.modem.stop();
    r.run(2000);
    expect(r.fake.lines.slice(mark).filter((l) => !l.startsWith("AT+MQTTPUB"))).toEqual(["AT+MQTTCLOSE=1", "AT+MIPCALL=0"]);
    expect(r.modem.link.stateName).toBe("stopped");
    expect(r.events.at(-1)).toBe("c1 close");
    const after = r.fake.lines.length;
    // Whatever the modem says now, nothing goes out.
    r.fake.urc("+MQTTMSGI: 1,0,1,1");
    r.fake.urc("RDY");
    r.fake.urc("+MIPCALL: 0");
    r.run(10 * 60_000);
    expect(r.fake.lines.slice(after)).toEqual([]);
    expect(r.clock.nextDue()).toBe(-1);
  });
});

describe("the length form's data: raw bytes or hex text", () => {
  const binary = new Uint8Array([0x00, 0xff, 0x3e, 0x0d, 0x0a, 0x22]);

  it("raw (the default): Datasize counts payload bytes, sent as they are", () => {
    const r = new ModemRig();
    const c = r.connected();
    c.publish("t", binary, { qos: 1 });
    r.run(200);
    expect(r.fake.linesMatching(/^AT\+MQTTPUB/)).toEqual(['AT+MQTTPUB=1,"t",1,0,6']);
    expect(Buffer.from(r.fake.payloads[0]!).toString("hex")).toBe("00ff3e0d0a22");
    expect(r.modem.limits.payloadMax).toBe(1024);
  });

  it("hex: Datasize counts the hex characters, two per byte; the modem publishes the bytes", () => {
    const r = new ModemRig({ modem: { publishData: "hex" }, fake: { publishData: "hex" } });
    const c = r.connected();
    const told: string[] = [];
    c.publish("t", binary, { qos: 1 }, (e) => told.push(e ? e.message : "ok"));
    r.run(200);
    expect(r.fake.linesMatching(/^AT\+MQTTPUB/)).toEqual(['AT+MQTTPUB=1,"t",1,0,12']);
    expect(Buffer.from(r.fake.payloads[0]!).toString("latin1")).toBe("00FF3E0D0A22");
    expect(Buffer.from(r.fake.published[0]!.payload).toString("hex")).toBe("00ff3e0d0a22");
    expect(told).toEqual(["ok"]);
  });

  it("hex: a payload is 1-512 bytes in the length form (Datasize 1-1024), refused by name beyond", () => {
    const r = new ModemRig({ modem: { publishData: "hex" }, fake: { publishData: "hex" } });
    const c = r.connected();
    expect(r.modem.limits.payloadMax).toBe(512);
    const refused: string[] = [];
    expect(c.publish("t", new Uint8Array(513), {}, (e) => refused.push(e!.message))).toBe(false);
    expect(refused).toEqual(["payload: length must be 0 to 512 bytes, got 513"]);
    c.publish("t", new Uint8Array(512).fill(0xab), { qos: 1 });
    r.run(500);
    expect(r.fake.linesMatching(/^AT\+MQTTPUB/)).toEqual(['AT+MQTTPUB=1,"t",1,0,1024']);
    expect(r.fake.published[0]!.payload.length).toBe(512);
  });

  it("any other publishData is refused by name when the modem is made", () => {
    expect(() => new ModemRig({ modem: { publishData: "base64" as "hex" } })).toThrow(/^publishData: must be "raw" or "hex"/);
  });
});

describe("limits learned from the test forms", () => {
  it("a client id the modem does not list is refused by name (clientIds)", () => {
    const r = new ModemRig();
    r.modem.limits.clientIds = [1];
    expect(() => r.client({ host: "h", slot: 2 })).toThrow(/^slot: this modem offers client ids 1 only/);
    expect(r.fake.lines).toEqual([]);
  });

  it("the ECMA-419 client validates against modem.limits too: topic, payload, client ids", () => {
    const r = new ModemRig();
    r.modem.limits.topicMax = 8;
    r.modem.limits.payloadMax = 16;
    r.modem.limits.clientIds = [1];
    expect(() => new Ecma419Client({ modem: r.modem, host: "h", slot: 2 })).toThrow(/^slot: this modem offers client ids 1 only/);
    const c = new Ecma419Client({ modem: r.modem, host: "h" });
    expect(() => c.write(new Uint8Array(1), { topic: "t/123456" })).not.toThrow();
    expect(() => c.write(new Uint8Array(1), { topic: "t/1234567" })).toThrow(/^topic: length must be 1 to 8, got 9/);
    expect(() => c.write(new Uint8Array(17), { topic: "t" })).toThrow(/^data: length must be 0 to 16 bytes/);
    expect(() => c.write(null, { operation: Ecma419Client.SUBSCRIBE, items: [{ topic: "a/b/c/d/e" }] })).toThrow(/^items\[0\]\.topic: length must be 1 to 8, got 9/);
    c.close();
  });

  it("a modem whose AT+MQTTCONF=? lists mode 0 only is brought up in mode 0 (modes)", () => {
    const r = new ModemRig();
    r.fake.when(/^AT\+MQTTCONF=\?$/, (reply) => {
      reply.line("+MQTTCONF: (0)");
      reply.final("OK");
    });
    r.modem.probeLimits();
    r.run(500);
    expect(r.modem.limits.modes).toEqual([0]);
    expect(r.modem.link.receiveMode).toBe(0);
    r.connected();
    expect(r.fake.lines).toContain("AT+MQTTCONF=0");
    expect(r.fake.lines).not.toContain("AT+MQTTCONF=1");
  });
});

describe("a stray status while a subscribe waits for its OK", () => {
  it("is ignored and leaves the subscribe in flight to finish with its own status", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.when(/^AT\+MQTTSUB=/, (reply) => {
      reply.line("+MQTTSUB: 1,0"); // a late status of something before, ahead of the OK
      reply.final("OK", 10);
      reply.line("+MQTTSUB: 1,1", 30);
    }, 1);
    const told: string[] = [];
    c.subscribe("a", { qos: 1 }, (e) => told.push(e ? "error" : "ok"));
    c.subscribe("b", { qos: 1 });
    r.run(1000);
    expect(told).toEqual(["ok"]);
    expect(r.modem.counters().statusesIgnored).toBe(1);
    expect(r.fake.linesMatching(/^AT\+MQTTSUB/)).toEqual(['AT+MQTTSUB=1,"a",1', 'AT+MQTTSUB=1,"b",1']);
  });
});

describe("why message mode 1 is the default", () => {
  const payload = "hi\r\nRDY\r\n+MQTTBREAK: 1,1";

  it("mode 1: a payload holding CR LF and modem lines is read by length and delivered intact", () => {
    const r = new ModemRig();
    const c = r.connected();
    c.subscribe("t");
    r.run(100);
    r.fake.message(1, "t", payload, 0);
    r.run(200);
    expect(r.events.at(-1)).toBe(`c1 message t ${Buffer.from(payload).toString("hex")} qos0 slot1`);
    expect(r.logs.some((l) => l.includes("restarted"))).toBe(false);
  });

  it("mode 0 cannot frame it: the +MQTTMSG line ends at the CR LF and the rest passes for modem lines", () => {
    const r = new ModemRig({ modem: { network: { receiveMode: 0 } } });
    const c = r.connected();
    c.subscribe("t");
    r.run(100);
    r.fake.message(1, "t", payload, 0);
    r.run(200);
    expect(r.events.some((e) => e.includes(Buffer.from(payload).toString("hex")))).toBe(false);
    expect(r.logs.some((l) => l.endsWith("modem restarted (RDY)"))).toBe(true);
  });
});
