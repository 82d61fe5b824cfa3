import { describe, expect, it } from "vitest";
import { MqttError } from "cellmqtt/modem/errors";
import { ModemRig } from "../support/modem-rig.ts";

/** Registration, the data call, then the message mode: re-asserted after every loss of the call. */
const REGISTER_AND_DIAL = ["AT+CEREG?", "AT+COPS?", "AT+MIPCALL?", "AT+MIPCALL=1", "AT+MQTTCONF=1"];
/** The reopen, and the read that follows every connection until the modem holds nothing. */
const REOPEN = ["AT+MQTTOPEN?", 'AT+MQTTUSER=1,"","","dev1"', 'AT+MQTTOPEN=1,"broker.example",1883,1,60', "AT+MQTTREAD=1"];

/** Times (ms) at which `AT+MQTTOPEN=` lines were written. */
function openTimes(r: ModemRig): number[] {
  return r.fake.wire.filter((w) => w.kind === "line" && w.text.startsWith("AT+MQTTOPEN=")).map((w) => w.at);
}

function linesSince(r: ModemRig, mark: number): string[] {
  return r.fake.lines.slice(mark);
}

describe("+MQTTBREAK", () => {
  it("cause 1: offline, then the same id reopened after the backoff; network left alone", () => {
    const r = new ModemRig();
    r.connected({}, "c1");
    const mark = r.fake.lines.length;
    r.fake.breakConnection(1, 1);
    r.run(10);
    expect(r.events).toEqual(["c1 connect", "c1 offline disconnected by the broker or keepalive"]);
    r.run(985); // first delay: reconnectPeriod (1000 ms) exactly
    expect(linesSince(r, mark)).toEqual([]);
    r.run(5);
    expect(linesSince(r, mark)).toEqual(["AT+MQTTOPEN?"]);
    r.run(200);
    expect(linesSince(r, mark)).toEqual(REOPEN);
    expect(r.events.slice(2)).toEqual(["c1 reconnect", "c1 connect"]);
  });

  for (const cause of [2, 3]) {
    it(`cause ${cause}: registration re-checked and the data call redialed before the reopen`, () => {
      const r = new ModemRig();
      r.connected();
      const mark = r.fake.lines.length;
      r.fake.breakConnection(1, cause);
      if (cause === 3) {
        r.run(100);
        // Not registered: the link polls registration and never dials meanwhile.
        expect(linesSince(r, mark)).toEqual(["AT+CEREG?", "AT+CGREG?"]);
        r.fake.registered = true;
      }
      r.run(10);
      r.until(() => r.modem.sessions[0]!.connected, 60_000);
      const after = linesSince(r, mark).filter((l) => l !== "AT+CGREG?");
      const dial = after.indexOf("AT+MIPCALL=1");
      expect(after.slice(dial - 3, dial + 2)).toEqual(REGISTER_AND_DIAL);
      expect(after.slice(dial + 2)).toEqual(REOPEN);
      expect(r.events).toEqual(["c1 connect", `c1 offline ${cause === 2 ? "wireless link lost" : "network not registered"}`, "c1 reconnect", "c1 connect"]);
    });
  }
});

describe("data call and modem restarts", () => {
  it("+MIPCALL: 0: the call is redialed once, then the session reopens", () => {
    const r = new ModemRig();
    r.connected();
    const mark = r.fake.lines.length;
    r.fake.dropCall();
    r.run(10);
    r.until(() => r.modem.sessions[0]!.connected, 60_000);
    expect(linesSince(r, mark)).toEqual([...REGISTER_AND_DIAL, ...REOPEN]);
    expect(r.events).toEqual(["c1 connect", "c1 offline data call dropped", "c1 reconnect", "c1 connect"]);
  });

  it("+MQTTBREAK cause 2 followed by +MIPCALL: 0 still runs one bring-up, not two", () => {
    const r = new ModemRig();
    r.connected();
    const mark = r.fake.lines.length;
    r.fake.breakConnection(1, 2);
    r.fake.dropCall(1);
    r.run(10);
    r.until(() => r.modem.sessions[0]!.connected, 60_000);
    r.run(5000);
    const after = linesSince(r, mark);
    expect(after.filter((l) => l === "AT+MIPCALL=1")).toHaveLength(1);
    expect(after.filter((l) => l.startsWith("AT+MQTTOPEN="))).toHaveLength(1);
    expect(r.fake.overlaps).toEqual([]);
  });

  it("unexpected RDY: echo off again, mode, credentials, will, subscriptions all redone", () => {
    const r = new ModemRig();
    const c = r.connected({ username: "u", password: "p", will: { topic: "w", payload: "gone" } });
    c.subscribe("a/b", { qos: 1 });
    c.subscribe("c/#", { qos: 2 });
    r.run(200);
    const mark = r.fake.lines.length;
    r.fake.reboot(3000);
    r.run(3000);
    expect(r.events.at(-1)).toBe("c1 offline modem restarted");
    r.until(() => c.connected, 60_000);
    r.run(500);
    expect(linesSince(r, mark)).toEqual([
      "AT",
      "ATE0",
      "AT+CPIN?",
      ...REGISTER_AND_DIAL,
      "AT+MQTTOPEN?",
      'AT+MQTTUSER=1,"u","p","dev1"',
      'AT+MQTTWILL=1,"w",0,0,"gone"',
      'AT+MQTTOPEN=1,"broker.example",1883,1,60',
      "AT+MQTTREAD=1",
      'AT+MQTTSUB=1,"a/b",1',
      'AT+MQTTSUB=1,"c/#",2',
    ]);
    // Echo was back on after RDY: the modem echoed AT and ATE0, and the engine took no echo as an answer.
    const tail = r.fake.delivered.slice(r.fake.delivered.lastIndexOf("RDY"));
    expect(tail.startsWith("RDY\r\nAT\r\r\nOK\r\nATE0\r\r\nOK\r\n\r\n+CPIN: READY\r\n")).toBe(true);
    expect(r.fake.slots[1]!.subs).toEqual(new Set(["a/b", "c/#"]));
    expect(r.events.slice(-2)).toEqual(["c1 reconnect", "c1 connect"]);
  });

  it("RDY in the middle of bring-up starts it over without duplicate commands", () => {
    const r = new ModemRig();
    r.client({ host: "broker.example", clientId: "dev1" });
    r.start();
    r.until(() => r.fake.lines.includes("AT+COPS?"));
    r.fake.reboot(100);
    r.until(() => r.modem.sessions[0]!.connected, 60_000);
    const mark = r.fake.lines.lastIndexOf("AT");
    expect(r.fake.lines.slice(mark)).toEqual(["AT", "ATE0", "AT+CPIN?", ...REGISTER_AND_DIAL, ...REOPEN]);
  });
});

describe("a modem that stops answering", () => {
  it("commands time out, the engine's syncs go unanswered, the reset hook is pulsed, and all recovers", () => {
    const r = new ModemRig();
    const c = r.connected({ commandTimeout: 2000 });
    const acked: (Error | undefined)[] = [];
    r.fake.silent = true;
    c.publish("t", "m1", { qos: 1 }, (e) => acked.push(e));
    r.run(30_000);
    const silentLines = r.fake.lines.slice(r.fake.lines.indexOf('AT+MQTTPUB=1,"t",1,0,"m1"'));
    expect(silentLines.filter((l) => l === "AT+CSQ=?").length).toBeGreaterThanOrEqual(3);
    expect(r.resets).toBeGreaterThanOrEqual(1);
    expect(r.events.filter((e) => e.startsWith("c1 offline"))).toHaveLength(1);
    // The modem answers again (after its reset pulse it boots).
    r.fake.silent = false;
    r.fake.reboot(1000);
    r.until(() => acked.length > 0, 120_000);
    expect(acked).toEqual([undefined]);
    expect(c.connected).toBe(true);
    expect(r.fake.published.map((p) => p.topic)).toEqual(["t"]);
  });
});

describe("backoff", () => {
  it("repeated kicks: exponential delays, capped; no reconnect storm", () => {
    const r = new ModemRig({ modem: { random: () => 1 } });
    const c = r.connected({ reconnectPeriod: 1000, reconnectMaxPeriod: 16_000, stableAfter: 60_000 });
    // Kick the connection the moment it opens, every time.
    let kicks = 0;
    c.on("connect", () => {
      kicks++;
      r.fake.breakConnection(1, 1);
    });
    r.fake.breakConnection(1, 1);
    r.run(200_000);
    const opens = openTimes(r);
    const gaps = opens.slice(1).map((t, i) => t - opens[i]!);
    // Each gap is the backoff delay plus the fixed time to open and break (the same each round
    // after the first, whose break waited for the read after the open).
    const overhead = gaps[1]! - 2000;
    expect(gaps.map((g) => g - overhead).slice(1, 8)).toEqual([2000, 4000, 8000, 16_000, 16_000, 16_000, 16_000]);
    // 200 s of kicks: 1+2+4+8 s, then one attempt per 16 s at most.
    expect(opens.length).toBeLessThanOrEqual(1 + 4 + Math.ceil((200_000 - 15_000) / 16_000));
    expect(kicks).toBe(opens.length - 1);
  });

  it("jitter keeps each delay within [min, min * 2^attempt]", () => {
    const seen: number[] = [];
    for (const x of [0, 0.25, 0.5, 0.99]) {
      const r = new ModemRig({ modem: { random: () => x } });
      const c = r.connected({ reconnectPeriod: 1000, reconnectMaxPeriod: 60_000 });
      let kicks = 0;
      c.on("connect", () => {
        if (++kicks < 3) r.fake.breakConnection(1, 1);
      });
      r.fake.breakConnection(1, 1);
      r.run(60_000);
      const opens = openTimes(r);
      const gaps = opens.slice(1).map((t, i) => t - opens[i]!);
      // The first round's break waited for the read after the open; later ones did not.
      const overhead = gaps[1]! - Math.round(1000 + x * 1000);
      seen.push(...gaps.slice(1).map((g) => g - overhead));
      // Attempt k (from 0): min + x * (min(max, min * 2^k) - min).
      expect(gaps.slice(1).map((g) => g - overhead)).toEqual([1, 2].map((k) => Math.round(1000 + x * (1000 * 2 ** k - 1000))));
    }
    expect(new Set(seen).size).toBeGreaterThan(3);
  });

  it("the backoff starts over only after the connection stayed up stableAfter", () => {
    const r = new ModemRig({ modem: { random: () => 1 } });
    r.connected({ reconnectPeriod: 1000, reconnectMaxPeriod: 60_000, stableAfter: 30_000 });
    const session = r.modem.sessions[0]!;
    for (let k = 0; k < 3; k++) {
      r.until(() => session.connected, 300_000, 10);
      r.fake.breakConnection(1, 1);
      r.run(10);
    }
    r.until(() => session.connected, 300_000, 10);
    // Up for less than stableAfter: the next delay keeps growing (8000).
    r.run(29_000);
    let before = openTimes(r).length;
    r.fake.breakConnection(1, 1);
    const brokeAt = r.clock.now();
    r.until(() => openTimes(r).length > before, 300_000, 10);
    const grown = openTimes(r).at(-1)! - brokeAt;
    r.until(() => session.connected, 300_000, 10);
    // Up for stableAfter: the delay is back to the minimum.
    r.run(30_000);
    before = openTimes(r).length;
    r.fake.breakConnection(1, 1);
    const brokeAgain = r.clock.now();
    r.until(() => openTimes(r).length > before, 300_000, 10);
    const reset = openTimes(r).at(-1)! - brokeAgain;
    expect(grown - reset).toBe(8000 - 1000);
  });

  for (const [code, name] of [
    [703, "BAD_USERNAME_OR_PASSWORD"],
    [704, "NOT_AUTHORIZED"],
  ] as const) {
    it(`refusal ${code}: MqttError ${name}, and the retry waits the capped delay`, () => {
      const r = new ModemRig({ modem: { random: () => 0 } });
      r.fake.openOutcome[1] = { kind: "final", code };
      const c = r.client({ host: "h", reconnectPeriod: 1000, reconnectMaxPeriod: 45_000 });
      const errors: unknown[] = [];
      const logs: string[] = [];
      c.on("error", (e) => errors.push(e));
      c.on("log", (line) => logs.push(line));
      r.start();
      r.until(() => errors.length > 0);
      const e = errors[0] as MqttError;
      expect(e).toBeInstanceOf(MqttError);
      expect(e.code).toBe(name);
      expect(e.modemCode).toBe(code);
      expect(e.permanent).toBe(true);
      const refusedAt = r.clock.now();
      r.fake.openOutcome[1] = { kind: "final", code };
      r.run(44_990);
      expect(r.fake.count(/^AT\+MQTTOPEN\?$/)).toBe(1);
      r.run(20);
      expect(r.fake.count(/^AT\+MQTTOPEN\?$/)).toBe(2);
      const queryAt = r.fake.wire.filter((w) => w.kind === "line" && w.text === "AT+MQTTOPEN?")[1]!.at;
      expect(queryAt - refusedAt).toBe(45_000);
      // Attempts are counted from 1, the refusal's jump to the cap notwithstanding.
      r.until(() => errors.length > 1);
      expect(logs.filter((l) => l.includes("reconnecting in"))).toEqual([
        "mqtt[1] reconnecting in 45000 ms (attempt 1)",
        "mqtt[1] reconnecting in 45000 ms (attempt 2)",
      ]);
    });
  }

  it("open result never comes: TIMEOUT, the id is closed, and nothing is reopened before the backoff", () => {
    const r = new ModemRig({ modem: { random: () => 0 } });
    r.fake.openOutcome[1] = { kind: "none" };
    r.client({ host: "h", connectTimeout: 10_000, reconnectPeriod: 5000 });
    r.start();
    r.until(() => r.errors.length > 0);
    expect(r.errors.map((e) => e.code)).toEqual(["TIMEOUT"]);
    const at = r.clock.now();
    r.run(4_900);
    const since = r.fake.wire.filter((w) => w.kind === "line" && w.at >= at).map((w) => (w.kind === "line" ? w.text : ""));
    expect(since).toEqual(["AT+MQTTCLOSE=1"]);
    r.run(1000);
    expect(r.modem.sessions[0]!.connected).toBe(true);
    expect(r.fake.count(/^AT\+MQTTOPEN=/)).toBe(2);
    expect(r.fake.overlaps).toEqual([]);
  });
});

describe("the outbox across outages", () => {
  it("messages published offline go out in order after the reconnect (QoS 0 kept by default)", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.breakConnection(1, 1);
    r.run(10);
    const done: string[] = [];
    for (const [i, qos] of [0, 1, 2, 0, 1].entries()) {
      expect(c.publish(`q/${i}`, `m${i}`, { qos: qos as 0 }, (e) => done.push(`${i}:${e ? "err" : "ok"}`))).toBe(true);
    }
    expect(r.fake.count(/^AT\+MQTTPUB/)).toBe(0);
    r.run(5000);
    expect(r.fake.linesMatching(/^AT\+MQTTPUB/)).toEqual([0, 1, 2, 0, 1].map((qos, i) => `AT+MQTTPUB=1,"q/${i}",${qos},0,"m${i}"`));
    expect(done).toEqual(["0:ok", "1:ok", "2:ok", "3:ok", "4:ok"]);
  });

  it("a QoS 1 message stays until +MQTTPUB: 1,1, and is sent again if the link breaks before it", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.when(/^AT\+MQTTPUB=/, (reply, m) => {
      reply.final("OK");
      m.breakConnection(1, 1, 10); // the status never comes
    }, 1);
    const done: (Error | undefined)[] = [];
    c.publish("t", "once", { qos: 1 }, (e) => done.push(e));
    r.run(100);
    expect(done).toEqual([]);
    r.until(() => done.length > 0, 60_000);
    expect(done).toEqual([undefined]);
    expect(r.fake.linesMatching(/^AT\+MQTTPUB/)).toEqual(['AT+MQTTPUB=1,"t",1,0,"once"', 'AT+MQTTPUB=1,"t",1,0,"once"']);
    expect(r.fake.published).toHaveLength(1);
  });

  it("queue full: publish returns false, the callback and the 'error' event say so, nothing earlier is dropped", () => {
    const r = new ModemRig({ modem: { outboxMessages: 4 } });
    const c = r.connected();
    r.fake.breakConnection(1, 1);
    r.run(10);
    const done: string[] = [];
    const results = [0, 1, 2, 3, 4].map((i) => c.publish("t", `m${i}`, { qos: 1 }, (e) => done.push(`${i}:${e ? e.message : "ok"}`)));
    expect(results).toEqual([true, true, true, true, false]);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatch(/^4:.*(full|refused)/);
    expect(r.errors.map((e) => e.code)).toEqual(["QUEUE_FULL"]);
    r.run(5000);
    expect(r.fake.published.map((p) => Buffer.from(p.payload).toString())).toEqual(["m0", "m1", "m2", "m3"]);
    expect(done.slice(1)).toEqual(["0:ok", "1:ok", "2:ok", "3:ok"]);
  });

  it("queue full by payload bytes is refused the same way", () => {
    const r = new ModemRig({ modem: { outboxBytes: 2048 } });
    const c = r.connected();
    r.fake.breakConnection(1, 1);
    r.run(10);
    expect(c.publish("t", new Uint8Array(1024), { qos: 1 })).toBe(true);
    expect(c.publish("t", new Uint8Array(1024), { qos: 1 })).toBe(true);
    const done: (Error | undefined)[] = [];
    expect(c.publish("t", new Uint8Array(1), { qos: 1 }, (e) => done.push(e))).toBe(false);
    expect(done[0]).toBeInstanceOf(Error);
    r.run(5000);
    expect(r.fake.published).toHaveLength(2);
  });

  it("queueQoS0 false: a QoS 0 publish while offline is refused and its callback told; QoS 1 still queued", () => {
    const r = new ModemRig();
    const c = r.connected({ queueQoS0: false });
    r.fake.breakConnection(1, 1);
    r.run(10);
    const done: string[] = [];
    const zero = c.publish("t", "zero", { qos: 0 }, (e) => done.push(`0:${e ? "err" : "ok"}`));
    const one = c.publish("t", "one", { qos: 1 }, (e) => done.push(`1:${e ? "err" : "ok"}`));
    expect(done).toEqual(["0:err"]);
    expect(zero).toBe(false);
    expect(one).toBe(true);
    expect(r.errors.map((e) => e.code)).toEqual(["CONNECTION_LOST"]);
    r.run(5000);
    expect(r.fake.published.map((p) => Buffer.from(p.payload).toString())).toEqual(["one"]);
    expect(done).toEqual(["0:err", "1:ok"]);
  });

  it("queueQoS0 false: QoS 0 messages queued while online are dropped, with their callbacks told, when the link breaks", () => {
    const r = new ModemRig();
    const c = r.connected({ queueQoS0: false });
    r.fake.silent = true; // the publishes stay unanswered
    const done: string[] = [];
    for (let i = 0; i < 3; i++) c.publish("t", `m${i}`, { qos: 0 }, (e) => done.push(`${i}:${e ? "err" : "ok"}`));
    r.fake.silent = false;
    r.fake.breakConnection(1, 1);
    r.run(10);
    expect(done.sort()).toEqual(["0:err", "1:err", "2:err"]);
  });
});
