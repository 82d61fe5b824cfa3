import { describe, expect, it } from "vitest";
import { MqttClient, ValidationError, type ConnectOptions } from "cellmqtt/mqtt/client";
import { sessionConfig } from "cellmqtt/mqtt/options";
import { ModemRig } from "../support/modem-rig.ts";

const base: ConnectOptions = { host: "broker.example" };

/** Runs `f`, which must throw a ValidationError naming `field` with `range` in its message. */
function refused(f: () => unknown, field: string, range: string | RegExp): void {
  let error: unknown = null;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a ValidationError for ${field}`).toBeInstanceOf(ValidationError);
  const v = error as ValidationError;
  expect(v.field).toBe(field);
  expect(v.message).toMatch(range);
}

// Each option's limits from the manual (1.1.4, 1.2.4, 1.5.4, 1.7.4, 1.12.4).
const optionCases: [string, Partial<ConnectOptions> | Record<string, unknown>, string, string | RegExp][] = [
  ["user name of 129 bytes", { username: "u".repeat(129) }, "username", "length must be 0 to 128, got 129"],
  ["password of 129 bytes", { password: "p".repeat(129) }, "password", "length must be 0 to 128, got 129"],
  ["client id of 24 bytes", { clientId: "c".repeat(24) }, "clientId", "length must be 0 to 23, got 24"],
  ["host of 256 bytes", { host: "h".repeat(256) }, "host", "length must be 1 to 255, got 256"],
  ["empty host", { host: "" }, "host", "length must be 1 to 255, got 0"],
  ["port 0", { port: 0 }, "port", "from 1 to 65535"],
  ["port 65536", { port: 65536 }, "port", "from 1 to 65535"],
  ["port 1883.5", { port: 1883.5 }, "port", "from 1 to 65535"],
  ["port as a string", { port: "1883" }, "port", "from 1 to 65535"],
  ["clean 2", { clean: 2 }, "clean", "must be 0 or 1"],
  ["keepalive 0", { keepalive: 0 }, "keepalive", "from 1 to 300"],
  ["keepalive 301", { keepalive: 301 }, "keepalive", "from 1 to 300"],
  ["will topic empty", { will: { topic: "", payload: "x" } }, "will.topic", "length must be 1 to 255, got 0"],
  ["will topic of 256 bytes", { will: { topic: "t".repeat(256), payload: "x" } }, "will.topic", "length must be 1 to 255, got 256"],
  ["will topic with a wildcard", { will: { topic: "a/+", payload: "x" } }, "will.topic", "wildcard"],
  ["will QoS 3", { will: { topic: "t", payload: "x", qos: 3 } }, "will.qos", "from 0 to 2"],
  ["will retain 2", { will: { topic: "t", payload: "x", retain: 2 } }, "will.retain", "must be 0 or 1"],
  ["will payload of 1025 bytes", { will: { topic: "t", payload: new Uint8Array(1025) } }, "will.payload", "0 to 1024 bytes, got 1025"],
  ["will payload with a quote", { will: { topic: "t", payload: '{"online":false}' } }, "will.payload", "byte 1 (0x22) is a quote"],
  ["will payload with CR LF", { will: { topic: "t", payload: "a\r\n" } }, "will.payload", "byte 1 (0x0d) is not printable ASCII"],
  ["will payload of binary bytes", { will: { topic: "t", payload: new Uint8Array([0x41, 0xff]) } }, "will.payload", "byte 1 (0xff) is not printable ASCII"],
];

// Values that would end the quoted field or the command line early and run the rest as a command.
const injections: [string, string][] = [
  ["a quote", 'x","AT+MQTTCLOSE=1'],
  ["CR", "x\rAT+MQTTCLOSE=1"],
  ["LF", "x\nAT+MQTTCLOSE=1"],
  ["Ctrl-Z", "x\x1a"],
  ["NUL", "x\x00"],
  ["DEL", "x\x7f"],
  ["a non-ASCII character", "caf\u00e9"],
];

describe("connect options: every limit of the manual, named by field", () => {
  for (const [what, options, field, range] of optionCases) {
    it(`refuses ${what}`, () => {
      refused(() => sessionConfig({ ...base, ...(options as Partial<ConnectOptions>) }), field, range);
    });
  }

  it("accepts every boundary value", () => {
    const c = sessionConfig({
      host: "h".repeat(255),
      port: 65535,
      username: "u".repeat(128),
      password: "p".repeat(128),
      clientId: "c".repeat(23),
      keepalive: 300,
      clean: false,
      will: { topic: "t".repeat(255), payload: new Uint8Array(1024).fill(0x7e), qos: 2, retain: true },
    });
    expect([c.host.length, c.port, c.username.length, c.password.length, c.clientId.length, c.keepalive, c.clean]).toEqual([255, 65535, 128, 128, 23, 300, 0]);
    expect(c.will!.payload.length).toBe(1024);
    const low = sessionConfig({ host: "h", port: 1, keepalive: 1 });
    expect([low.port, low.keepalive, low.clean]).toEqual([1, 1, 1]);
  });

  for (const slot of [0, 3, 1.5]) {
    it(`refuses client slot ${slot} (valid client ids are 1 and 2) and writes nothing`, () => {
      const r = new ModemRig();
      refused(() => new MqttClient(r.modem, { ...base, slot: slot as 1 }), "slot", "from 1 to 2");
      r.start();
      r.run(5000);
      expect(r.fake.count(/^AT\+MQTT(USER|OPEN=)/)).toBe(0);
    });
  }

  for (const field of ["username", "password", "clientId", "host"] as const) {
    for (const [what, value] of injections) {
      it(`refuses ${what} in ${field}; nothing reaches the wire`, () => {
        const r = new ModemRig();
        refused(() => r.client({ ...base, [field]: value }), field, /character \d+ \(0x[0-9a-f]{2}\)/);
        r.start();
        r.run(10_000);
        expect(r.fake.count(/^AT\+MQTT(USER|OPEN=|CLOSE)/)).toBe(0);
      });
    }
  }

  for (const [what, value] of injections) {
    it(`refuses ${what} in the will topic`, () => {
      refused(() => sessionConfig({ ...base, will: { topic: value, payload: "x" } }), "will.topic", /character \d+/);
    });
  }
});

describe("publish, subscribe and unsubscribe: refused with the field named, and nothing extra on the wire", () => {
  const topicCases: [string, unknown, RegExp][] = [
    ["an empty topic", "", /length must be 1 to 255, got 0/],
    ["a topic of 256 bytes", "t".repeat(256), /length must be 1 to 255, got 256/],
    ["a topic that is not a string", 42, /must be a string/],
    ...injections.map(([w, v]): [string, unknown, RegExp] => [`a topic with ${w}`, v, /character \d+ \(0x[0-9a-f]{2}\)/]),
  ];

  function connected(): { r: ModemRig; c: MqttClient; wire: () => number } {
    const r = new ModemRig();
    const c = r.connected();
    r.run(100);
    const before = r.fake.written.length;
    return { r, c, wire: () => r.fake.written.length - before };
  }

  for (const [what, topic, range] of topicCases) {
    it(`publish refuses ${what}: false, error to the callback`, () => {
      const { r, c, wire } = connected();
      const got: (Error | undefined)[] = [];
      expect(c.publish(topic as string, "x", { qos: 1 }, (e) => got.push(e))).toBe(false);
      expect(got).toHaveLength(1);
      expect(got[0]).toBeInstanceOf(ValidationError);
      expect((got[0] as ValidationError).field).toBe("topic");
      expect(got[0]!.message).toMatch(range);
      r.run(1000);
      expect(wire()).toBe(0);
    });

    it(`subscribe and unsubscribe refuse ${what}`, () => {
      const { r, c, wire } = connected();
      const got: (Error | null | undefined)[] = [];
      c.subscribe(topic as string, { qos: 0 }, (e) => got.push(e));
      c.unsubscribe(topic as string, (e) => got.push(e));
      expect(got.map((e) => (e as ValidationError).field)).toEqual(["topic", "topic"]);
      r.run(1000);
      expect(wire()).toBe(0);
    });
  }

  it("publish refuses wildcards in a topic name", () => {
    const { r, c, wire } = connected();
    expect(c.publish("a/+/b", "x")).toBe(false);
    expect(c.publish("a/#", "x")).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(["validation topic", "validation topic"]);
    expect(wire()).toBe(0);
  });

  for (const bad of ["a/b#", "a/#/b", "a+/b", "+a"]) {
    it(`subscribe refuses the malformed filter "${bad}"`, () => {
      const { r, c, wire } = connected();
      c.subscribe(bad);
      expect(r.errors.map((e) => e.code)).toEqual(["validation topic"]);
      r.run(500);
      expect(wire()).toBe(0);
    });
  }

  for (const qos of [3, -1, 1.5, "1"]) {
    it(`publish and subscribe refuse QoS ${JSON.stringify(qos)} (range 0-2)`, () => {
      const { c, wire } = connected();
      const got: (Error | null | undefined)[] = [];
      c.publish("t", "x", { qos: qos as 0 }, (e) => got.push(e));
      c.subscribe("t", { qos: qos as 0 }, (e) => got.push(e));
      expect(got.map((e) => (e as ValidationError).field)).toEqual(["qos", "qos"]);
      expect(got[0]!.message).toMatch("from 0 to 2");
      expect(wire()).toBe(0);
    });
  }

  it("publish refuses retain 2 (range 0, 1)", () => {
    const { c, wire } = connected();
    const got: (Error | undefined)[] = [];
    c.publish("t", "x", { retain: 2 as unknown as boolean }, (e) => got.push(e));
    expect((got[0] as ValidationError).field).toBe("retain");
    expect(got[0]!.message).toMatch("must be 0 or 1");
    expect(wire()).toBe(0);
  });

  it("publish refuses a payload over 1024 bytes, counting UTF-8 bytes of a string", () => {
    const { r, c, wire } = connected();
    const got: (Error | undefined)[] = [];
    c.publish("t", new Uint8Array(1025), {}, (e) => got.push(e));
    c.publish("t", "\u00e9".repeat(513), {}, (e) => got.push(e)); // 1026 bytes
    expect(got.map((e) => (e as ValidationError).field)).toEqual(["payload", "payload"]);
    expect(got[0]!.message).toMatch("0 to 1024 bytes, got 1025");
    expect(got[1]!.message).toMatch("got 1026");
    r.run(500);
    expect(wire()).toBe(0);
    // 1024 bytes exactly is fine.
    expect(c.publish("t", new Uint8Array(1024))).toBe(true);
  });

  it("without a callback or an 'error' listener, a refusal throws", () => {
    const r = new ModemRig();
    const c = new MqttClient(r.modem, base);
    expect(() => c.publish("", "x")).toThrow(ValidationError);
    expect(() => c.subscribe("a\r")).toThrow(ValidationError);
    r.start();
    r.run(5000);
    expect(r.fake.count(/^AT\+MQTT(PUB|SUB)/)).toBe(0);
  });
});
