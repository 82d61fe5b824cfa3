import { describe, expect, it } from "vitest";
import { ModemRig } from "../support/modem-rig.ts";

/**
 * The bring-up of the manual's usage example (section 3.1), preceded by the dialect's sync steps:
 * SIM and registration first, the data call, and only then the first MQTT command.
 */
const BRING_UP = ["AT", "ATE0", "AT+CPIN?", "AT+CEREG?", "AT+COPS?", "AT+MIPCALL?", "AT+MIPCALL=1", "AT+MQTTCONF=1"];

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const hex = (b: Uint8Array | string): string => Buffer.from(typeof b === "string" ? bytes(b) : b).toString("hex");

describe("bring-up (manual section 3.1)", () => {
  it("runs the usage example command by command, echo on until ATE0", () => {
    const r = new ModemRig();
    const c = r.connected({ host: "MQTT BrokerServer", port: 1883, clean: false, keepalive: 80, username: "username", password: "passwd", clientId: "ClientIDStr" });
    expect(r.fake.lines).toEqual([
      ...BRING_UP,
      "AT+MQTTOPEN?",
      'AT+MQTTUSER=1,"username","passwd","ClientIDStr"',
      'AT+MQTTOPEN=1,"MQTT BrokerServer",1883,0,80',
      // Every connection is followed by a read until the modem holds nothing.
      "AT+MQTTREAD=1",
    ]);
    // Echo was on after power-up: the first two commands came back before their results.
    expect(r.fake.delivered.startsWith("AT\r\r\nOK\r\nATE0\r\r\nOK\r\n\r\n+CPIN: READY\r\n")).toBe(true);
    expect(r.modem.link.ip).toBe("10.2.83.148");
    expect(r.modem.link.operator).toBe("CHN-UNICOM");
    expect(c.connected).toBe(true);
    expect(r.events).toEqual(["c1 connect"]);
    expect(r.fake.overlaps).toEqual([]);
  });

  it("falls back to AT+CGREG? when AT+CEREG? is refused (2G-only module)", () => {
    const r = new ModemRig();
    r.fake.noCereg = true;
    r.connected();
    expect(r.fake.lines.slice(0, 7)).toEqual(["AT", "ATE0", "AT+CPIN?", "AT+CEREG?", "AT+CGREG?", "AT+COPS?", "AT+MIPCALL?"]);
  });

  it("polls registration until the network registers, then dials", () => {
    const r = new ModemRig();
    r.fake.registered = false;
    r.start();
    r.run(1000);
    expect(r.fake.lines).toEqual(["AT", "ATE0", "AT+CPIN?", "AT+CEREG?", "AT+CGREG?"]);
    r.fake.registered = true;
    r.run(2500); // poll interval 2000 ms
    expect(r.fake.lines.slice(5)).toEqual(["AT+CEREG?", "AT+COPS?", "AT+MIPCALL?", "AT+MIPCALL=1", "AT+MQTTCONF=1"]);
    r.run(1000);
    expect(r.modem.link.up).toBe(true);
  });

  it("dials with the configured APN and takes the IP from the later +MIPCALL line", () => {
    const r = new ModemRig({ modem: { network: { apn: "iot.example" } }, fake: { ip: "100.64.1.2" } });
    r.connected();
    expect(r.fake.lines).toContain('AT+MIPCALL=1,"iot.example"');
    expect(r.fake.apn).toBe("iot.example");
    expect(r.modem.link.ip).toBe("100.64.1.2");
  });

  it("does not dial when AT+MIPCALL? reports a call already up", () => {
    const r = new ModemRig();
    r.fake.callActive = true;
    r.connected();
    expect(r.fake.lines.filter((l) => l.startsWith("AT+MIPCALL"))).toEqual(["AT+MIPCALL?"]);
    expect(r.modem.link.ip).toBe("10.2.83.148");
  });

  it("waits for the SIM (+CME ERROR) and retries", () => {
    const r = new ModemRig();
    r.fake.simReady = false;
    r.start();
    r.run(5000);
    expect(r.fake.count(/^AT\+CPIN\?$/)).toBeGreaterThanOrEqual(2);
    expect(r.fake.count(/^AT\+CEREG/)).toBe(0);
    r.fake.simReady = true;
    r.run(3000);
    expect(r.modem.link.up).toBe(true);
  });
});

describe("AT+MQTTUSER", () => {
  it("sends user, password and client id; leaves the client id out when empty (the modem uses its IMEI)", () => {
    const r = new ModemRig();
    r.connected({ username: "u", password: "p", clientId: "" });
    expect(r.fake.linesMatching(/^AT\+MQTTUSER/)).toEqual(['AT+MQTTUSER=1,"u","p"']);
  });
});

describe("AT+MQTTOPEN", () => {
  it("connects only when +MQTTOPEN: 1,1 arrives, 40 s after OK", () => {
    const r = new ModemRig({ fake: { latency: { open: 40_000 } } });
    const c = r.client({ host: "h" });
    r.start();
    r.until(() => r.fake.count(/^AT\+MQTTOPEN=1,/) === 1);
    r.run(39_000);
    expect(c.connected).toBe(false);
    r.run(1_100);
    expect(c.connected).toBe(true);
    expect(r.events).toEqual(["c1 connect"]);
  });

  it("+MQTTOPEN: 1,0 is a failed connect: OPEN_FAILED, then a new attempt after the backoff", () => {
    const r = new ModemRig();
    r.fake.openOutcome[1] = { kind: "status0" };
    const c = r.client({ host: "h", reconnectPeriod: 1000 });
    r.start();
    r.until(() => r.errors.length > 0);
    expect(r.errors.map((e) => e.code)).toEqual(["OPEN_FAILED"]);
    const failedAt = r.clock.now();
    r.until(() => c.connected);
    // First retry delay: exactly the minimum (the backoff ceiling starts there).
    const second = r.fake.wire.filter((w) => w.kind === "line" && w.text === "AT+MQTTOPEN?")[1]!;
    expect(second.at - failedAt).toBe(1000);
    expect(r.events).toEqual(["c1 error OPEN_FAILED", "c1 reconnect", "c1 connect"]);
  });

  const refusals: [number, string][] = [
    [700, "UNACCEPTABLE_PROTOCOL"],
    [701, "IDENTIFIER_REJECTED"],
    [702, "SERVER_UNAVAILABLE"],
    [703, "BAD_USERNAME_OR_PASSWORD"],
    [704, "NOT_AUTHORIZED"],
  ];

  for (const [code, name] of refusals) {
    it(`ERROR: ${code} as the final result surfaces as ${name}`, () => {
      const r = new ModemRig();
      r.fake.openOutcome[1] = { kind: "final", code };
      r.client({ host: "h", reconnectPeriod: 1000, reconnectMaxPeriod: 30_000 });
      r.start();
      r.until(() => r.errors.length > 0);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]!.code).toBe(name);
      expect(r.errors[0]!.message).toContain(`ERROR: ${code}`);
    });

    it(`ERROR: ${code} after OK, while another command is in flight, is the open's refusal`, () => {
      const r = new ModemRig();
      r.fake.openOutcome[1] = { kind: "none" };
      const signal: number[] = [];
      r.modem.signalListener = (rssi) => signal.push(rssi);
      // The refusal line comes in the middle of AT+CSQ's answer.
      r.fake.when(/^AT\+CSQ$/, (reply) => {
        reply.line("+CSQ: 17,99");
        reply.line(`ERROR: ${code}`, 1);
        reply.final("OK", 2);
      });
      r.client({ host: "h" });
      r.start();
      r.until(() => r.fake.count(/^AT\+MQTTOPEN=1,/) === 1);
      r.run(100);
      expect(r.modem.link.requestSignal()).toBe(true);
      r.run(100);
      expect(r.errors.map((e) => e.code)).toEqual([name]);
      // The command in flight still completed with its own OK.
      expect(signal).toEqual([17]);
      expect(r.fake.overlaps).toEqual([]);
    });
  }

  it("ERROR: 703 after OK with no command in flight is the open's refusal too", () => {
    const r = new ModemRig();
    r.fake.openOutcome[1] = { kind: "late", code: 703 };
    r.client({ host: "h" });
    r.start();
    r.until(() => r.errors.length > 0);
    expect(r.errors.map((e) => e.code)).toEqual(["BAD_USERNAME_OR_PASSWORD"]);
    expect(r.engine.stats[3]).toBe(0); // no stray result
  });

  it("AT+MQTTOPEN? listing its id free (+MQTTOPEN: 1,2): no close first", () => {
    const r = new ModemRig();
    r.connected();
    expect(r.fake.count(/^AT\+MQTTCLOSE/)).toBe(0);
  });

  for (const [answer, closes] of [
    ["+MQTTOPEN: 2", 1],
    ["+MQTTOPEN: 0", 1],
    ["+MQTTOPEN: 1", 0],
    ["+MQTTOPEN: 1,2", 0],
  ] as const) {
    it(`AT+MQTTOPEN? answered "${answer}": ${closes ? "closes id 1 first" : "opens at once"}`, () => {
      const r = new ModemRig();
      r.fake.when(/^AT\+MQTTOPEN\?$/, (reply) => {
        reply.line(answer);
        reply.final("OK");
      }, 1);
      // The modem holds id 1 open when it says so: let the close succeed.
      if (closes) r.fake.when(/^AT\+MQTTCLOSE=1$/, (reply) => {
        reply.final("OK");
        reply.line("+MQTTCLOSE: 1,1", 20);
      }, 1);
      r.connected();
      const lines = r.fake.lines.slice(BRING_UP.length);
      expect(lines).toEqual(["AT+MQTTOPEN?", ...(closes ? ["AT+MQTTCLOSE=1"] : []), 'AT+MQTTUSER=1,"","","dev1"', 'AT+MQTTOPEN=1,"broker.example",1883,1,60', "AT+MQTTREAD=1"]);
    });
  }

  it("AT+MQTTOPEN? answered one line per free id (+MQTTOPEN: 1, +MQTTOPEN: 2): each id is free", () => {
    for (const slot of [1, 2] as const) {
      const r = new ModemRig();
      r.fake.when(/^AT\+MQTTOPEN\?$/, (reply) => {
        reply.line("+MQTTOPEN: 1");
        reply.line("+MQTTOPEN: 2");
        reply.final("OK");
      }, 1);
      r.connected({ slot });
      expect(r.fake.count(/^AT\+MQTTCLOSE/)).toBe(0);
    }
  });

  it("passes the TLS argument as a sixth field when configured", () => {
    const r = new ModemRig();
    r.connected({ host: "h", port: 8883, tls: 2 });
    expect(r.fake.linesMatching(/^AT\+MQTTOPEN=/)).toEqual(['AT+MQTTOPEN=1,"h",8883,1,60,2']);
  });
});

describe("AT+MQTTCLOSE", () => {
  it("end() closes: OK then +MQTTCLOSE: 1,1, then close event and callback; no reconnect", () => {
    const r = new ModemRig();
    const c = r.connected();
    let done = 0;
    c.end(() => done++);
    r.run(10);
    expect(done).toBe(0); // waits for +MQTTCLOSE, not OK
    r.run(100);
    expect(done).toBe(1);
    expect(r.fake.lines.at(-1)).toBe("AT+MQTTCLOSE=1");
    expect(r.events).toEqual(["c1 connect", "c1 close"]);
    r.run(120_000);
    expect(r.fake.count(/^AT\+MQTTOPEN/)).toBe(2); // the query and the one open
  });
});

describe("AT+MQTTSUB / AT+MQTTUNSUB", () => {
  it("status 1: the subscribe callback gets the topic and QoS asked for", () => {
    const r = new ModemRig();
    const c = r.connected();
    const got: unknown[] = [];
    c.subscribe("topic1", { qos: 1 }, (err, granted) => got.push(err, granted));
    r.run(100);
    expect(r.fake.lines.at(-1)).toBe('AT+MQTTSUB=1,"topic1",1');
    expect(got).toEqual([null, [{ topic: "topic1", qos: 1 }]]);
  });

  it("status 0: the callback gets an error, and the client an 'error' SUBSCRIBE_FAILED", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.subStatus = 0;
    const got: (Error | null)[] = [];
    c.subscribe("topic1", {}, (err) => got.push(err));
    r.run(100);
    expect(got).toHaveLength(1);
    expect(got[0]).toBeInstanceOf(Error);
    expect(r.errors.map((e) => e.code)).toEqual(["SUBSCRIBE_FAILED"]);
  });

  it("unsubscribe sends AT+MQTTUNSUB; status 0 is an UNSUBSCRIBE_FAILED error", () => {
    const r = new ModemRig();
    const c = r.connected();
    c.subscribe("topic1");
    r.run(100);
    c.unsubscribe("topic1");
    r.run(100);
    expect(r.fake.lines.at(-1)).toBe('AT+MQTTUNSUB=1,"topic1"');
    expect(r.errors).toEqual([]);
    r.fake.unsubStatus = 0;
    c.unsubscribe("topic1");
    r.run(100);
    expect(r.errors.map((e) => e.code)).toEqual(["UNSUBSCRIBE_FAILED"]);
  });

  it("subscriptions made before connecting go out once connected", () => {
    const r = new ModemRig();
    const c = r.client({ host: "h" });
    c.subscribe(["a/+", "b/#"], { qos: 2 });
    r.start();
    r.until(() => c.connected);
    r.run(200);
    expect(r.fake.linesMatching(/^AT\+MQTTSUB/)).toEqual(['AT+MQTTSUB=1,"a/+",2', 'AT+MQTTSUB=1,"b/#",2']);
  });
});

describe("AT+MQTTPUB", () => {
  it("printable ASCII goes in the quoted form: OK then +MQTTPUB: 1,1 completes the callback", () => {
    const r = new ModemRig();
    const c = r.connected();
    const done: (Error | undefined)[] = [];
    expect(c.publish("topic1", "9", { qos: 1 }, (e) => done.push(e))).toBe(true);
    r.run(10);
    expect(r.fake.lines.at(-1)).toBe('AT+MQTTPUB=1,"topic1",1,0,"9"');
    expect(done).toEqual([]); // OK alone does not acknowledge a QoS 1 message
    r.run(100);
    expect(done).toEqual([undefined]);
    expect(r.fake.payloads).toEqual([]);
  });

  const awkward: [string, Uint8Array][] = [
    ["a quote", bytes('say "hi"')],
    ["CR", bytes("a\rb")],
    ["LF", bytes("a\nb")],
    ["Ctrl-Z", bytes("a\x1ab")],
    ["NUL", new Uint8Array([0])],
    ["0xFF", new Uint8Array([0xff, 0x41])],
    ["every byte value", Uint8Array.from({ length: 256 }, (_, i) => i)],
    ["1024 printable bytes", bytes("x".repeat(1024))],
  ];
  for (const [what, payload] of awkward) {
    it(`a payload with ${what} goes in the length form: exactly ${payload.length} raw bytes after ">"`, () => {
      const r = new ModemRig();
      const c = r.connected();
      const done: (Error | undefined)[] = [];
      c.publish("t/x", payload, { qos: 1, retain: true }, (e) => done.push(e));
      r.run(200);
      expect(r.fake.lines.at(-1)).toBe(`AT+MQTTPUB=1,"t/x",1,1,${payload.length}`);
      expect(r.fake.payloads.map(hex)).toEqual([hex(payload)]);
      expect(done).toEqual([undefined]);
      expect(r.fake.published.map((p) => hex(p.payload))).toEqual([hex(payload)]);
      // Nothing but the line and the payload went out: no stray CR after the data.
      expect(r.fake.writtenText.endsWith(`AT+MQTTPUB=1,"t/x",1,1,${payload.length}\r${Buffer.from(payload).toString("latin1")}`)).toBe(true);
    });
  }

  it("the length form works with the spec's '>' followed by CRLF too", () => {
    const r = new ModemRig({ fake: { prompt: ">\r\n" } });
    const c = r.connected();
    c.publish("t", new Uint8Array([0x0d, 0x0a, 0x3e]), { qos: 1 });
    r.run(200);
    expect(r.fake.payloads.map(hex)).toEqual(["0d0a3e"]);
    expect(r.fake.published).toHaveLength(1);
  });

  it("an empty payload goes quoted (the length form needs 1-1024)", () => {
    const r = new ModemRig();
    const c = r.connected();
    c.publish("t", "");
    r.run(100);
    expect(r.fake.lines.at(-1)).toBe('AT+MQTTPUB=1,"t",0,0,""');
  });

  it("a QoS 0 publish is done at OK; its +MQTTPUB status, even 0, is only counted off and logged", () => {
    const r = new ModemRig();
    const c = r.connected();
    r.fake.pubStatus = 0;
    const done: (Error | undefined)[] = [];
    const logs: string[] = [];
    c.on("log", (l) => logs.push(l));
    c.publish("t", "x", { qos: 0 }, (e) => done.push(e));
    r.run(200);
    expect(done).toEqual([undefined]);
    expect(logs).toContain("mqtt[1] a QoS 0 publish was reported failed (+MQTTPUB: 1,0)");
    expect(r.modem.counters()).toMatchObject({ published: 1, publishFailed: 0, statusesIgnored: 0 });
  });
});

describe("AT+MQTTWILL", () => {
  it("printable will goes quoted before the open (manual example)", () => {
    const r = new ModemRig();
    r.connected({ will: { topic: "topic1", payload: "Tell you, I'm dead.", qos: 1, retain: true } });
    expect(r.fake.lines.slice(-3, -1)).toEqual(['AT+MQTTWILL=1,"topic1",1,1,"Tell you, I\'m dead."', 'AT+MQTTOPEN=1,"broker.example",1883,1,60']);
  });

  it("a will payload that cannot be quoted is refused by name before anything is sent (the manual has no length form)", () => {
    for (const payload of [new Uint8Array([0x22]), new Uint8Array([0x41, 0x0d, 0x0a]), new Uint8Array([0xff]), '{"online":false}']) {
      const r = new ModemRig();
      expect(() => r.client({ host: "broker.example", will: { topic: "w", payload } })).toThrow(/^will\.payload: byte \d+ \(0x[0-9a-f]{2}\) is (a quote|not printable ASCII)/);
      expect(r.fake.lines).toEqual([]);
    }
  });

  it("a will of 1024 printable bytes still goes quoted", () => {
    const r = new ModemRig();
    r.connected({ will: { topic: "w", payload: "x".repeat(1024) } });
    expect(r.fake.linesMatching(/^AT\+MQTTWILL/)).toEqual([`AT+MQTTWILL=1,"w",0,0,"${"x".repeat(1024)}"`]);
    expect(r.fake.payloads).toEqual([]);
  });
});

describe("incoming messages", () => {
  it("mode 0: +MQTTMSG with spaces after the commas", () => {
    const r = new ModemRig({ modem: { network: { receiveMode: 0 } }, fake: { msgSpaces: true } });
    const c = r.connected();
    expect(r.fake.lines).toContain("AT+MQTTCONF=0");
    c.subscribe("t");
    r.run(100);
    r.fake.message(1, "t", "123", 0);
    r.run(10);
    expect(r.fake.delivered).toContain('+MQTTMSG: 1, 0, "t", "123"\r\n');
    expect(r.events.at(-1)).toBe(`c1 message t ${hex("123")} qos0 slot1`);
  });

  it("mode 0: the manual's line, with the payload's own quote kept (last quote ends it)", () => {
    const r = new ModemRig({ modem: { network: { receiveMode: 0 } } });
    r.connected();
    r.fake.urc('+MQTTMSG: 1,0,"topic1","Te"st"');
    r.run(10);
    expect(r.events.at(-1)).toBe(`c1 message topic1 ${hex('Te"st')} qos0 slot1`);
  });

  it("mode 0: lines off the plain shape go through the general split, and broken ones are logged, not delivered", () => {
    const r = new ModemRig({ modem: { network: { receiveMode: 0 } } });
    r.connected();
    const before = r.events.length;
    // Bytes after the payload's last quote, and a QoS in quotes: read as the general split reads them.
    r.fake.urc('+MQTTMSG: 1,0,"t/1","a,"b"x');
    r.fake.urc('+MQTTMSG: 1,"1","t/2","p"');
    // The plain shape, the payload to the last quote.
    r.fake.urc('+MQTTMSG: 1,0,"t/3","q","r"');
    // A client id the modem does not have, and a line without its payload.
    r.fake.urc('+MQTTMSG: 7,0,"t/4","p"');
    r.fake.urc('+MQTTMSG: 1,0,"t/5"');
    r.run(10);
    expect(r.events.slice(before)).toEqual([
      `c1 message t/1 ${hex('a,"b')} qos0 slot1`,
      `c1 message t/2 ${hex("p")} qos1 slot1`,
      `c1 message t/3 ${hex('q","r')} qos0 slot1`,
    ]);
    expect(r.logs.filter((l) => l.includes("malformed +MQTTMSG")).map((l) => l.replace(/^\d+ /, ""))).toEqual([
      'malformed +MQTTMSG: 7,0,"t/4","p"',
      'malformed +MQTTMSG: 1,0,"t/5"',
    ]);
  });

  it("mode 1 (set during bring-up): +MQTTMSGI, then AT+MQTTREAD, payload read by length", () => {
    const r = new ModemRig();
    const c = r.connected();
    expect(r.fake.mode).toBe(1);
    c.subscribe("t/1");
    r.run(100);
    const payload = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    r.fake.message(1, "t/1", payload, 1);
    r.run(100);
    expect(r.fake.lines.at(-1)).toBe("AT+MQTTREAD=1");
    expect(r.events.at(-1)).toBe(`c1 message t/1 ${hex(payload)} qos1 slot1`);
  });

  it("mode 1, record on the line after the header", () => {
    const r = new ModemRig({ fake: { readOnOneLine: false } });
    r.connected();
    r.fake.message(1, "x", '"\r\n","', 2);
    r.run(100);
    expect(r.events.at(-1)).toBe(`c1 message x ${hex('"\r\n","')} qos2 slot1`);
  });

  it("AT+MQTTREAD is queued, never written before the command in flight completes", () => {
    const r = new ModemRig();
    const c = r.connected();
    // The announcement comes while AT+MQTTPUB awaits its OK, which takes 500 ms.
    r.fake.when(/^AT\+MQTTPUB=/, (reply, m) => {
      m.slots[1]!.inbox.push({ topic: bytes("in"), payload: bytes("p"), qos: 0 });
      reply.line("+MQTTMSGI: 1,0,2,1");
      reply.final("OK", 500);
      reply.line("+MQTTPUB: 1,1", 520);
    }, 1);
    c.publish("out", "x", { qos: 1 });
    r.run(400);
    expect(r.fake.lines.at(-1)).toBe('AT+MQTTPUB=1,"out",1,0,"x"');
    r.run(300);
    expect(r.fake.lines.at(-1)).toBe("AT+MQTTREAD=1");
    const read = r.fake.wire.findLast((w) => w.kind === "line" && w.text === "AT+MQTTREAD=1")!;
    expect(read.at).toBeGreaterThanOrEqual(r.fake.wire.find((w) => w.kind === "line" && w.text.startsWith("AT+MQTTPUB"))!.at + 505);
    expect(r.fake.overlaps).toEqual([]);
    expect(r.events.at(-1)).toBe(`c1 message in ${hex("p")} qos0 slot1`);
  });

  it("+MQTTREAD: 1,0,0,0 (nothing held) delivers nothing and stops reading once no announcement is left", () => {
    const r = new ModemRig();
    r.connected();
    const before = r.fake.count(/^AT\+MQTTREAD=1$/);
    r.fake.urc("+MQTTMSGI: 1,0,3,3");
    r.fake.urc("+MQTTMSGI: 1,0,3,3");
    r.run(200);
    expect(r.fake.delivered).toContain("+MQTTREAD: 1,0,0,0\r\n");
    // The second announcement came while the first read was out, so it may be of a later
    // message: it is read too, and that read's 0,0,0 ends it.
    expect(r.fake.count(/^AT\+MQTTREAD=1$/) - before).toBe(2);
    r.run(5000);
    expect(r.fake.count(/^AT\+MQTTREAD=1$/) - before).toBe(2);
    expect(r.events).toEqual(["c1 connect"]);
    expect(r.modem.inbound.pending[1]).toBe(0);
  });

  it("three announced messages are read one at a time, in order", () => {
    const r = new ModemRig();
    r.connected();
    const before = r.fake.count(/^AT\+MQTTREAD=1$/);
    for (const p of ["a", "bb", "ccc"]) r.fake.message(1, "t", p, 0);
    r.run(300);
    expect(r.fake.count(/^AT\+MQTTREAD=1$/) - before).toBe(3);
    expect(r.events.slice(1)).toEqual(["a", "bb", "ccc"].map((p) => `c1 message t ${hex(p)} qos0 slot1`));
    expect(r.fake.overlaps).toEqual([]);
  });
});

describe("a modem that answers inside write (in-process)", () => {
  it("connects, subscribes, publishes with callbacks told, and reads messages", () => {
    const r = new ModemRig({ fake: { inline: true } });
    const c = r.connected();
    expect(r.fake.delivered).toContain("+MQTTOPEN: 1,1");
    const got: unknown[] = [];
    c.subscribe("t", { qos: 1 }, (err, granted) => got.push(err, granted));
    const done: (Error | undefined)[] = [];
    expect(c.publish("t", "x", { qos: 1 }, (e) => done.push(e))).toBe(true);
    expect(c.publish("t", new Uint8Array([0, 0x22]), { qos: 2 }, (e) => done.push(e))).toBe(true);
    r.run(10);
    expect(got).toEqual([null, [{ topic: "t", qos: 1 }]]);
    expect(done).toEqual([undefined, undefined]);
    expect(r.fake.published.map((p) => hex(p.payload))).toEqual(["78", "0022"]);
    r.fake.message(1, "t", "in", 1);
    r.run(10);
    expect(r.events.at(-1)).toBe(`c1 message t ${hex("in")} qos1 slot1`);
  });
});

describe("the APN", () => {
  it("is refused by name when the modem is made if it cannot go on the command line", () => {
    for (const apn of ["a\"b", "x".repeat(64), "iot\r\nAT+CFUN=0"]) {
      expect(() => new ModemRig({ modem: { network: { apn } } })).toThrow(/^network\.apn: /);
    }
    const r = new ModemRig({ modem: { network: { apn: "x".repeat(63) } } });
    r.connected();
    expect(r.fake.apn).toBe("x".repeat(63));
  });
});

describe("bring-up: bounded tries and escalation", () => {
  it("a modem that refuses MQTT commands before the data call still comes up: the call goes first", () => {
    const r = new ModemRig();
    r.fake.mqttNeedsCall = true;
    r.connected();
    expect(r.fake.lines.slice(0, BRING_UP.length)).toEqual(BRING_UP);
    expect(r.logs.filter((l) => l.includes("answered"))).toEqual([]);
  });

  it("a step the modem keeps refusing: five tries, a resync, five more, then the reset hook; the log names the step and the answer", () => {
    const r = new ModemRig();
    r.fake.when(/^AT\+MQTTCONF=1$/, (reply) => reply.final("ERROR: 3"), 10);
    r.client({ host: "broker.example" });
    r.start();
    const logged = (text: string): boolean => r.logs.some((l) => l.endsWith(text));
    expect(r.until(() => logged("resyncing"), 60_000)).toBe(true);
    expect(r.fake.count(/^AT\+MQTTCONF=1$/)).toBe(5);
    expect(r.resets).toBe(0);
    expect(logged("network: AT+MQTTCONF answered ERROR: 3 (try 5 of 5)")).toBe(true);
    expect(logged("network: AT+MQTTCONF failed 5 times (last answer: ERROR: 3); resyncing")).toBe(true);
    r.run(10);
    expect(r.fake.lines.at(-1)).toBe("AT"); // the resync starts over from the sync command
    expect(r.until(() => r.resets > 0, 60_000)).toBe(true);
    expect(r.fake.count(/^AT\+MQTTCONF=1$/)).toBe(10);
    expect(r.logs.some((l) => l.includes("modem stuck at AT+MQTTCONF (answer: ERROR: 3); pulsing reset"))).toBe(true);
    // Never the MQTT command before the call.
    const lines = r.fake.lines;
    for (let i = 0; i < lines.length; i++) if (lines[i] === "AT+MQTTCONF=1") expect(lines.slice(0, i)).toContain("AT+MIPCALL=1");
    // Once the modem takes it again, the link comes up.
    expect(r.until(() => r.modem.sessions[0]!.connected, 60_000)).toBe(true);
  });

  it("a SIM that never gets ready is polled a bounded number of times, then escalated", () => {
    const r = new ModemRig();
    r.fake.simReady = false;
    r.start();
    expect(r.until(() => r.logs.some((l) => l.includes("resyncing")), 120_000)).toBe(true);
    expect(r.fake.count(/^AT\+CPIN\?$/)).toBe(30);
    expect(r.logs.some((l) => l.endsWith("network: AT+CPIN? failed 30 times (last answer: +CME ERROR: 10); resyncing"))).toBe(true);
  });

  it("a data call the network refuses: bounded, then resync, then reset; no MQTT command meanwhile", () => {
    const r = new ModemRig();
    r.fake.callAllowed = false;
    r.client({ host: "broker.example" });
    r.start();
    expect(r.until(() => r.resets > 0, 120_000)).toBe(true);
    expect(r.fake.count(/^AT\+MIPCALL=1$/)).toBe(10);
    expect(r.logs.some((l) => l.endsWith("network: AT+MIPCALL=1 failed 5 times (last answer: ERROR); resyncing"))).toBe(true);
    expect(r.fake.count(/^AT\+MQTT/)).toBe(0);
  });
});
