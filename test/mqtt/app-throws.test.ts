/**
 * The app's own code throwing inside the callbacks and listeners the clients call from modem
 * events: the throw is reported (onLog / the `error` event / `log` / trace), goes no further, and
 * the engine, the session and the client carry on: the rest of the same read is parsed, the next
 * write works.
 */
import { describe, expect, it } from "vitest";
import Client, { type ControlMessage } from "cellmqtt/mqtt/ecma419-client";
import { ValidationError } from "cellmqtt/modem/validate";
import { ModemRig } from "../support/modem-rig.ts";

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Two messages for client 1 in one read (mode 0), as the driver may hand them over. */
function twoMessages(r: ModemRig, a: string, b: string): void {
  r.engine.receive(enc(`\r\n+MQTTMSG: 1,0,"cmd/a","${a}"\r\n\r\n+MQTTMSG: 1,0,"cmd/b","${b}"\r\n`));
}

function mode0(): ModemRig {
  return new ModemRig({ modem: { network: { receiveMode: 0 } } });
}

describe("ECMA-419 client: a callback that throws", () => {
  it("onControl throwing at CONNACK: reported through onLog, its writes before the throw kept, later writes work", () => {
    const r = mode0();
    const logs: string[] = [];
    const client = new Client({
      modem: r.modem,
      host: "broker.example",
      id: "dev1",
      onLog: (line) => logs.push(line),
      onControl(msg: ControlMessage) {
        if (msg.operation !== Client.CONNACK) return;
        this.write(null, { operation: Client.SUBSCRIBE, items: [{ topic: "cmd/#", QoS: 1 }] });
        // The SDK example's 16 KB message: over the modem's 1,024 bytes.
        this.write(new ArrayBuffer(3), { topic: "big", byteLength: 3 + 16 * 1024, QoS: 1 });
      },
    });
    r.start();
    expect(r.until(() => client.connected)).toBe(true);
    r.run(500);
    expect(logs.some((l) => l === "mqtt[1] onControl threw: ValidationError: byteLength: must be an integer from 3 to 1024, got 16387")).toBe(true);
    expect(r.fake.count(/^AT\+MQTTSUB=1,"cmd\/#",1$/)).toBe(1);
    expect(client.connected).toBe(true);
    // The next write, from outside any callback, goes out.
    expect(client.write(enc("after"), { topic: "t", QoS: 1 })).toBeGreaterThan(0);
    r.run(500);
    expect(r.fake.published.map((p) => p.topic)).toEqual(["t"]);
    client.close();
  });

  it("onReadable throwing: the next message of the same read is still delivered", () => {
    const r = mode0();
    const logs: string[] = [];
    const seen: string[] = [];
    const client = new Client({
      modem: r.modem,
      host: "broker.example",
      onLog: (line) => logs.push(line),
      onReadable(count, options) {
        seen.push(`${options.topic} ${count}`);
        if (options.topic === "cmd/a") throw new TypeError("app bug");
      },
    });
    r.start();
    expect(r.until(() => client.connected)).toBe(true);
    twoMessages(r, "one", "second");
    expect(seen).toEqual(["cmd/a 3", "cmd/b 6"]);
    expect(logs).toContain("mqtt[1] onReadable threw: TypeError: app bug");
    expect(() => client.read()).not.toThrow(); // the message is no longer readable outside the callback
    expect(client.read()).toBeUndefined();
    client.close();
  });

  it("onWritable, onLog and onError throwing go no further", () => {
    const r = mode0();
    let writable = 0;
    let errors = 0;
    const client = new Client({
      modem: r.modem,
      host: "broker.example",
      reconnect: false,
      onLog() {
        throw new Error("log sink broken");
      },
      onWritable() {
        writable++;
        this.write(enc("x")); // no options: a ValidationError, thrown in the app's callback
      },
      onError() {
        errors++;
        throw new Error("after the end");
      },
    });
    r.start();
    expect(r.until(() => client.connected)).toBe(true);
    expect(writable).toBe(1);
    r.fake.breakConnection(1, 1);
    r.run(100);
    expect(errors).toBe(1);
    expect(client.connected).toBe(false);
  });
});

describe("MQTT.js-style client: a listener or callback that throws", () => {
  it("a 'message' listener: the other listeners and the next message still run; the 'error' event gets the throw", () => {
    const r = mode0();
    const c = r.connected();
    const got: string[] = [];
    const errors: unknown[] = [];
    c.on("message", (topic) => {
      if (topic === "cmd/a") throw new RangeError("listener bug");
    });
    c.on("message", (topic) => got.push(topic));
    c.on("error", (e) => errors.push(e));
    twoMessages(r, "1", "2");
    expect(got).toEqual(["cmd/a", "cmd/b"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RangeError);
    expect(c.connected).toBe(true);
  });

  it("publish and subscribe callbacks that throw: the session carries on and the next publish goes out", () => {
    const r = mode0();
    const c = r.connected();
    const errors: string[] = [];
    c.on("error", (e) => errors.push(e.message));
    c.subscribe("cmd/x", { qos: 1 }, () => {
      throw new Error("subscribe callback bug");
    });
    c.publish("a", "1", { qos: 1 }, () => {
      throw new Error("publish callback bug");
    });
    r.run(1000);
    c.publish("b", "2", { qos: 1 });
    r.run(1000);
    expect(errors).toEqual(expect.arrayContaining(["subscribe callback bug", "publish callback bug"]));
    expect(r.fake.published.map((p) => p.topic)).toEqual(["a", "b"]);
    expect(c.session.outbox.live).toBe(0);
  });

  it("an 'error' listener that throws: reported to 'log', no loop between them", () => {
    const r = mode0();
    const c = r.connected();
    const logs: string[] = [];
    let errorCalls = 0;
    c.on("message", () => {
      throw new Error("first");
    });
    c.on("error", () => {
      errorCalls++;
      throw new Error("error listener bug");
    });
    c.on("log", (line) => {
      if (line.includes("threw")) logs.push(line);
      throw new Error("log listener bug");
    });
    twoMessages(r, "1", "2");
    expect(errorCalls).toBe(2);
    expect(logs).toEqual([
      'mqtt[1] "error" listener threw: Error: error listener bug',
      'mqtt[1] "error" listener threw: Error: error listener bug',
    ]);
    expect(c.connected).toBe(true);
  });

  it("a publish over the modem's limit fails at once with a ValidationError naming the field and range", () => {
    const r = mode0();
    const c = r.connected();
    const errors: unknown[] = [];
    expect(c.publish("t", new Uint8Array(16 * 1024), { qos: 1 }, (e) => errors.push(e))).toBe(false);
    expect(errors[0]).toBeInstanceOf(ValidationError);
    expect((errors[0] as ValidationError).field).toBe("payload");
    expect((errors[0] as ValidationError).message).toMatch(/1024/);
    expect(r.fake.count(/^AT\+MQTTPUB/)).toBe(0);
  });
});
