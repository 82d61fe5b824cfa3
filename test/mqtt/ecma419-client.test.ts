/**
 * The ECMA-419 MQTT client through the whole stack on Node: the client over a CellularModem, a
 * StreamUart to the in-process modem emulator, an embedded broker behind it, and a plain `mqtt`
 * client as the other party.
 */
import { afterEach, describe, expect, it } from "vitest";
import mqtt from "mqtt";
import Client, { type ClientOptions, type ControlMessage, type ReadableOptions } from "cellmqtt/mqtt/ecma419-client";
import Shim from "cellmqtt/mqtt/embedded-client";
import type { MqttError } from "cellmqtt/modem/errors";
import { ValidationError } from "cellmqtt/modem/validate";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/broker.ts";
import { startClientRig, stopClientRig, type ClientRig } from "../support/client-rig.ts";
import { until } from "../support/wait.ts";

type Rig = ClientRig<Client>;

let rig: Rig | null = null;

async function start(broker?: EmbeddedBroker): Promise<Rig> {
  rig = await startClientRig<Client>("ecma419-peer", ["from/#", "foo/bar/#"], broker);
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  const r = rig;
  rig = null;
  await stopClientRig(r);
});

/** What a client reported, in order; control messages and readable options copied (they are reused). */
interface Seen {
  events: string[];
  controls: ControlMessage[];
  messages: { topic: string; QoS: number; byteLength: number; more: boolean; count: number; data: Uint8Array }[];
  writable: number[];
  errors: MqttError[];
  closed: number;
}

function recorder(): { seen: Seen; callbacks: Partial<ClientOptions> } {
  const seen: Seen = { events: [], controls: [], messages: [], writable: [], errors: [], closed: 0 };
  return {
    seen,
    callbacks: {
      onControl(msg) {
        seen.events.push(`control ${msg.operation}`);
        seen.controls.push({ ...msg, ...(msg.payload ? { payload: [...msg.payload] } : {}) });
      },
      onWritable(count) {
        seen.events.push("writable");
        seen.writable.push(count);
      },
      onReadable(count, options) {
        seen.events.push("readable");
        const data = new Uint8Array(this.read(count) ?? new ArrayBuffer(0));
        seen.messages.push({ topic: options.topic, QoS: options.QoS, byteLength: options.byteLength, more: options.more, count, data });
      },
      onError(error) {
        seen.events.push("error");
        seen.errors.push(error);
      },
      onClose() {
        seen.events.push("close");
        seen.closed++;
      },
    },
  };
}

function client(r: Rig, options: Partial<ClientOptions>): Client {
  const c = new Client({ modem: r.modem, host: "127.0.0.1", port: r.broker.port, id: "ecma419-test", ...options } as ClientOptions);
  r.clients.push(c);
  return c;
}

const connack = (s: Seen): boolean => s.controls.some((m) => m.operation === Client.CONNACK);
const control = (s: Seen, operation: number, id?: number): ControlMessage | undefined =>
  s.controls.find((m) => m.operation === operation && (id === undefined || m.id === id));

describe("ECMA-419 MQTT client over the modem emulator", () => {
  it("has Moddable's operation constants, and the embedded: shim is the same class", () => {
    expect(Shim).toBe(Client);
    expect([Client.CONNECT, Client.CONNACK, Client.PUBLISH, Client.PUBACK, Client.PUBREC, Client.PUBREL, Client.PUBCOMP]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([Client.SUBSCRIBE, Client.SUBACK, Client.UNSUBSCRIBE, Client.UNSUBACK, Client.PINGREQ, Client.PINGRESP, Client.DISCONNECT]).toEqual([
      8, 9, 10, 11, 12, 13, 14,
    ]);
  });

  it("connects: CONNACK by onControl, then onWritable with the bytes a write may carry", async () => {
    const r = await start();
    const { seen, callbacks } = recorder();
    const c = client(r, callbacks);
    await until("CONNACK", () => connack(seen));
    expect(seen.events.slice(0, 2)).toEqual([`control ${Client.CONNACK}`, "writable"]);
    expect(seen.controls[0]).toMatchObject({ operation: Client.CONNACK, returnCode: 0 });
    expect(seen.writable[0]).toBe(1024);
    expect(c.connected).toBe(true);
  });

  it("subscribes (SUBACK per write, payload one byte per item) and reads binary messages in onReadable", async () => {
    const r = await start();
    const { seen, callbacks } = recorder();
    const c = client(r, {
      ...callbacks,
      onControl(msg) {
        callbacks.onControl!.call(this, msg);
        if (msg.operation === Client.CONNACK) {
          this.write(null, { operation: Client.SUBSCRIBE, id: 77, items: [{ topic: "to/exact", QoS: 1 }, { topic: "to/wild/+" }] });
        }
      },
    });
    const suback = await until("SUBACK", () => control(seen, Client.SUBACK));
    expect(suback).toMatchObject({ id: 77, payload: [1, 0] });
    expect(seen.controls.filter((m) => m.operation === Client.SUBACK)).toHaveLength(1);

    const binary = Buffer.from([0, 1, 2, 0x22, 0x0d, 0x0a, 0x2c, 0xff, 0x80, 0x1a, 0x3e]);
    r.peer.publish("to/exact", binary, { qos: 1 });
    const m = await until("message", () => seen.messages[0]);
    expect(m).toMatchObject({ topic: "to/exact", QoS: 1, byteLength: binary.length, more: false, count: binary.length });
    expect(Buffer.from(m.data)).toEqual(binary);

    r.peer.publish("to/wild/7", "seven", { qos: 0 });
    const w = await until("wildcard message", () => seen.messages[1]);
    expect(w).toMatchObject({ topic: "to/wild/7", QoS: 0, byteLength: 5 });
    expect(Buffer.from(w.data).toString()).toBe("seven");
    // Outside onReadable there is nothing to read.
    expect(c.read(10)).toBeUndefined();
    expect(c.read(new Uint8Array(4))).toBe(0);
  });

  it("read(buffer) fills a caller's buffer in pieces, read(count) returns ArrayBuffers, the options object is reused", async () => {
    const r = await start();
    const pieces: number[][] = [];
    const options: ReadableOptions[] = [];
    const buffer = new Uint8Array(4);
    let rest: ArrayBuffer | undefined;
    let after: ArrayBuffer | undefined;
    client(r, {
      onControl(msg) {
        if (msg.operation === Client.CONNACK) this.write(null, { operation: Client.SUBSCRIBE, items: [{ topic: "to/pieces" }] });
        if (msg.operation === Client.SUBACK) r.peer.publish("to/pieces", "abcdefghij");
      },
      onReadable(count, opts) {
        options.push(opts);
        expect(count).toBe(10);
        while (pieces.length < 2) pieces.push([...buffer.subarray(0, this.read(buffer))]);
        rest = this.read(100);
        after = this.read(1);
      },
    });
    await until("message", () => rest);
    expect(pieces.map((p) => Buffer.from(p).toString())).toEqual(["abcd", "efgh"]);
    expect(rest).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(rest!).toString()).toBe("ij");
    expect(after).toBeUndefined();
    r.peer.publish("to/pieces", "0123456789");
    await until("second message", () => options.length === 2);
    expect(options[0]).toBe(options[1]);
  });

  it("publishes binary payloads with QoS 0, 1 (PUBACK) and 2 (PUBREC, PUBCOMP), and retain", async () => {
    const r = await start();
    const { seen, callbacks } = recorder();
    const every = new Uint8Array(256).map((_, i) => i);
    const returned: number[] = [];
    client(r, {
      ...callbacks,
      onControl(msg) {
        callbacks.onControl!.call(this, msg);
        if (msg.operation !== Client.CONNACK) return;
        returned.push(this.write(every, { topic: "from/q0" }));
        returned.push(this.write(every.buffer, { topic: "from/q1", QoS: 1, id: 501 }));
        returned.push(this.write(new DataView(every.buffer, 10, 20), { topic: "from/q2", QoS: 2, id: 502 }));
        returned.push(this.write("kept", { topic: "from/retained", QoS: 1, retain: true, id: 503 }));
      },
    });
    await until("PUBACK 503", () => control(seen, Client.PUBACK, 503));
    await until("PUBCOMP 502", () => control(seen, Client.PUBCOMP, 502));
    expect(returned).toEqual([1024, 1024, 1024, 1024]);
    expect(control(seen, Client.PUBACK, 501)).toMatchObject({ returnCode: 0 });
    const q2 = seen.controls.filter((m) => m.id === 502).map((m) => m.operation);
    expect(q2).toEqual([Client.PUBREC, Client.PUBCOMP]);
    await until("all four at the peer", () => r.received.length >= 4);
    const by = (t: string) => r.received.find((m) => m.topic === t)!;
    expect([...by("from/q0").payload]).toEqual([...every]);
    expect([...by("from/q1").payload]).toEqual([...every]);
    expect([...by("from/q2").payload]).toEqual([...every.subarray(10, 30)]);
    expect(by("from/retained").payload.toString()).toBe("kept");
    // The retained message is kept by the broker: a late subscriber gets it with the flag.
    const late = mqtt.connect(r.broker.url, { clientId: "late" });
    const got = await new Promise<{ retain: boolean; text: string }>((resolve) => {
      late.on("message", (_t, p, packet) => resolve({ retain: packet.retain, text: p.toString() }));
      late.on("connect", () => late.subscribe("from/retained"));
    });
    late.end(true);
    expect(got).toEqual({ retain: true, text: "kept" });
    expect(seen.errors).toEqual([]);
  });

  it("unsubscribes (UNSUBACK with the write's id), after which messages on that topic stop", async () => {
    const r = await start();
    const { seen, callbacks } = recorder();
    const c = client(r, {
      ...callbacks,
      onControl(msg) {
        callbacks.onControl!.call(this, msg);
        if (msg.operation === Client.CONNACK) this.write(null, { operation: Client.SUBSCRIBE, items: [{ topic: "to/a" }, { topic: "to/b" }] });
      },
    });
    await until("SUBACK", () => control(seen, Client.SUBACK));
    c.write(null, { operation: Client.UNSUBSCRIBE, id: 9, items: [{ topic: "to/a" }] });
    const unsuback = await until("UNSUBACK", () => control(seen, Client.UNSUBACK));
    expect(unsuback.id).toBe(9);
    expect(unsuback.payload).toBeUndefined();
    r.peer.publish("to/a", "dropped", { qos: 1 });
    r.peer.publish("to/b", "delivered", { qos: 1 });
    await until("message on to/b", () => seen.messages.find((m) => m.topic === "to/b"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.messages.map((m) => m.topic)).toEqual(["to/b"]);
  });

  it("a DISCONNECT write ends with onClose; close() ends with no callback at all", async () => {
    const r = await start();
    const a = recorder();
    const c = client(r, a.callbacks);
    await until("CONNACK", () => connack(a.seen));
    expect(c.write(null, { operation: Client.DISCONNECT })).toBe(0);
    await until("onClose", () => a.seen.closed === 1);
    expect(a.seen.errors).toEqual([]);
    expect(() => c.write(new Uint8Array(1), { topic: "from/x" })).toThrow(/closed/);

    // The slot is free again for a new client; close() then reports nothing.
    const b = recorder();
    const d = client(r, b.callbacks);
    await until("second CONNACK", () => connack(b.seen));
    d.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.seen.events).toEqual([`control ${Client.CONNACK}`, "writable"]);
    expect(d.connected).toBe(false);
    expect(r.vm.log.commands().filter((l) => l.startsWith("AT+MQTTCLOSE")).length).toBeGreaterThanOrEqual(2);
  });

  it("reconnects by itself after a broker drop (another CONNACK), or with reconnect: false ends with onError", async () => {
    const r = await start();
    const a = recorder();
    client(r, { ...a.callbacks, reconnectPeriod: 100 });
    await until("CONNACK", () => connack(a.seen));
    r.vm.inject({ name: "broker-drop", clientId: 1 });
    await until("second CONNACK", () => a.seen.controls.filter((m) => m.operation === Client.CONNACK).length === 2);
    expect(a.seen.errors).toEqual([]);

    const b = recorder();
    client(r, { ...b.callbacks, slot: 2, id: "ecma419-two", reconnect: false });
    await until("CONNACK on slot 2", () => connack(b.seen));
    r.vm.inject({ name: "broker-drop", clientId: 2 });
    const error = await until("onError", () => b.seen.errors[0]);
    expect(error.code).toBe("CONNECTION_LOST");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(b.seen.closed).toBe(0);
    expect(b.seen.events.at(-1)).toBe("error");
  });

  it("runs a port of Moddable's examples/io/tcp/mqttclient flow unchanged but for the import", async () => {
    const r = await start();
    const traced: string[] = [];
    const trace = (s: string): void => void traced.push(s);
    // Moddable's ArrayBuffer.fromString and String.fromArrayBuffer, for Node.
    const fromString = (s: string): ArrayBuffer => new TextEncoder().encode(s).buffer as ArrayBuffer;
    const toString = (b: ArrayBuffer | undefined): string => new TextDecoder().decode(b);
    const device = { network: { mqtt: { io: Client, modem: r.modem } } };
    // The example's 16 KB message is cut to what the modem can carry in one message (1024 bytes).
    const XXL = 1000;
    type Example = Client & { remain: number; counter: number };

    const example = new device.network.mqtt.io({
      ...device.network.mqtt,
      host: "127.0.0.1",
      port: r.broker.port,
      id: "ecma-419 mqtt test",
      user: "rw",
      password: "readwrite",
      keepalive: 60_000,
      will: {
        topic: "foo/bar/will",
        message: fromString("born @ " + Date()),
        QoS: 0,
        retain: 0,
      },
      onControl(this: Example, msg: ControlMessage) {
        if (device.network.mqtt.io.CONNACK === msg.operation) {
          this.write(null, {
            operation: device.network.mqtt.io.SUBSCRIBE,
            items: [{ topic: "foo/bar/+", QoS: 2 }, { topic: "bar/foo" }],
          });
          this.write(null, {
            operation: device.network.mqtt.io.UNSUBSCRIBE,
            items: [{ topic: "frogs" }, { topic: "bar/foo" }],
          });
          this.write(fromString("SM"), {
            topic: "foo/bar/small",
            byteLength: 6,
            QoS: 2,
          });
          this.write(fromString("ALL\n"));
          this.write(null, { operation: device.network.mqtt.io.PINGREQ });

          this.remain = XXL;
          this.counter = 0;
          this.write(fromString("XXL"), {
            topic: "foo/bar/xxl",
            byteLength: 3 + this.remain,
            QoS: 1,
            id: 1234,
          });
        }
        if (device.network.mqtt.io.PUBACK === msg.operation) {
          trace(`PUBACK - ${msg.id}\n`);
        }
        if (device.network.mqtt.io.PINGRESP === msg.operation) trace("Ping response\n");
        if (device.network.mqtt.io.PUBREC === msg.operation) trace(`PUBREC - ${msg.id}\n`);
        if (device.network.mqtt.io.PUBREL === msg.operation) trace(`PUBREL - ${msg.id}\n`);
        if (device.network.mqtt.io.PUBCOMP === msg.operation) trace(`PUBCOMP - ${msg.id}\n`);
        if (device.network.mqtt.io.SUBACK === msg.operation) trace(`SUBACK - ${msg.id}\n`);
        if (device.network.mqtt.io.UNSUBACK === msg.operation) trace(`UNSUBACK - ${msg.id}\n`);
      },
      onReadable(this: Example, count: number, _options: ReadableOptions) {
        trace(toString(this.read(count)) + "\n");
      },
      onWritable(this: Example, count: number) {
        if (!this.remain) return;

        let repeat = count < this.remain ? count : this.remain;
        this.remain -= repeat;

        this.counter += 1;
        this.write(fromString(String.fromCharCode(64 + this.counter).repeat(repeat)));
      },
      onError() {
        trace("ERROR\n");
      },
      // Typed for TypeScript (the example is JavaScript), and it keeps state on the client
      // (`this.remain`), which TypeScript accepts only through a cast.
    } as unknown as ClientOptions);
    r.clients.push(example);

    await until("PUBACK 1234", () => traced.includes("PUBACK - 1234\n"));
    await until("PUBCOMP of SMALL", () => traced.some((t) => /^PUBCOMP - \d+\n$/.test(t)));
    expect(traced).toContain("Ping response\n");
    expect(traced.filter((t) => t.startsWith("SUBACK - 2\n"))).toHaveLength(1);
    expect(traced.filter((t) => t.startsWith("UNSUBACK - 3\n"))).toHaveLength(1);
    expect(traced.some((t) => t.startsWith("PUBREC - 4\n"))).toBe(true);
    expect(traced).toContain("PUBCOMP - 4\n");

    await until("both messages at the peer", () => r.received.some((m) => m.topic === "foo/bar/xxl") && r.received.some((m) => m.topic === "foo/bar/small"));
    expect(r.received.find((m) => m.topic === "foo/bar/small")!.payload.toString()).toBe("SMALL\n");
    expect(r.received.find((m) => m.topic === "foo/bar/xxl")!.payload.toString()).toBe("XXL" + "A".repeat(XXL));
    // The client subscribed to foo/bar/+, so it hears its own messages too, and the peer's.
    r.peer.publish("foo/bar/hello", "hello from the peer");
    await until("the peer's message traced", () => traced.includes("hello from the peer\n"));
    expect(traced).toContain("SMALL\n\n");
    expect(traced).not.toContain("ERROR\n");
    // The log's text hides the password; its bytes are what went on the wire.
    const wire = r.vm.log.lines.map((l) => Buffer.from(l.bytes).toString("latin1"));
    expect(wire).toContain('AT+MQTTUSER=1,"rw","readwrite","ecma-419 mqtt test"');
    expect(r.vm.log.commands().some((l) => l.startsWith('AT+MQTTOPEN=1,"127.0.0.1",') && l.includes(",60"))).toBe(true);
  });

  it("refuses bad options and writes with errors that name the field", async () => {
    const r = await start();
    const base = { modem: r.modem, host: "127.0.0.1", port: r.broker.port } as ClientOptions;
    const refused = (options: Partial<ClientOptions> | null, field: string, text: RegExp): void => {
      let error: unknown;
      try {
        new Client(options === null ? (null as unknown as ClientOptions) : ({ ...base, ...options } as ClientOptions));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
      expect((error as Error).message).toMatch(text);
    };
    refused(null, "options", /must be an object/);
    refused({ modem: undefined }, "modem", /CellularModem/);
    refused({ host: undefined }, "host", /required/);
    refused({ keepalive: 60 }, "keepalive", /milliseconds.*got 60/);
    refused({ keepalive: 301_000 }, "keepalive", /1 to 300 s/);
    refused({ id: "x".repeat(24) }, "clientId", /length must be 0 to 23/);
    refused({ user: 'a"b' }, "username", /quote/);
    refused({ port: 0 }, "port", /1 to 65535/);
    refused({ slot: 3 as 1 }, "slot", /1 to 2/);
    refused({ will: { topic: "w" } }, "will.message", /required/);
    refused({ will: { topic: "w/#", message: "x" } }, "will.topic", /wildcard/);
    refused({ will: { topic: "w", message: "x", QoS: 3 } }, "will.QoS", /0 to 2/);
    refused({ onReadable: 5 as unknown as ClientOptions["onReadable"] }, "onReadable", /function/);

    const c = new Client(base);
    r.clients.push(c);
    refused({}, "slot", /in use/);
    const bad = (f: () => unknown, field: string, text: RegExp): void => {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
      expect((error as Error).message).toMatch(text);
    };
    bad(() => c.write(new Uint8Array(1)), "options", /required/);
    bad(() => c.write(new Uint8Array(1), { topic: "a/+" }), "topic", /wildcard/);
    bad(() => c.write(new Uint8Array(1), { topic: "" }), "topic", /length must be 1 to 255/);
    bad(() => c.write(new Uint8Array(1), { topic: "a", QoS: 3 }), "QoS", /0 to 2/);
    bad(() => c.write(new Uint8Array(1025), { topic: "a" }), "data", /0 to 1024 bytes \(the modem's limit\), got 1025/);
    bad(() => c.write(new Uint8Array(1), { topic: "a", byteLength: 2000 }), "byteLength", /1 to 1024/);
    bad(() => c.write(new Uint8Array(1), { topic: "a", id: 70000 }), "id", /1 to 65535/);
    bad(() => c.write(null, { operation: Client.SUBSCRIBE, items: [] }), "items", /non-empty/);
    bad(() => c.write(null, { operation: Client.SUBSCRIBE, items: [{ topic: "a/#/b" }] }), "items[0].topic", /"#"/);
    bad(() => c.write(null, { operation: Client.CONNECT }), "operation", /must be PUBLISH/);
    bad(() => c.read(-1), "count", /integer/);
    // A message being assembled takes only its own bytes next.
    expect(c.write(new Uint8Array(2), { topic: "from/parts", byteLength: 5 })).toBe(3);
    expect(() => c.write(new Uint8Array(1), { topic: "from/other" })).toThrow(/3 bytes of the message to "from\/parts" are still due/);
    expect(() => c.write(new Uint8Array(4))).toThrow(/only 3 due/);
    expect(c.write(new Uint8Array(3))).toBe(1024);
  });

  it("onWritable counts down as the outbox fills, and writes past it throw overflow", async () => {
    const r = await start();
    const { seen, callbacks } = recorder();
    // Offline writes are queued: the outbox is 16 messages and 4096 bytes per slot by default.
    r.vm.inject({ name: "radio-lost" });
    const c = client(r, callbacks);
    const left: number[] = [];
    for (let i = 0; i < 4; i++) left.push(c.write(new Uint8Array(1000), { topic: "from/fill", QoS: 1 }));
    expect(left).toEqual([1024, 1024, 1024, 96]);
    expect(() => c.write(new Uint8Array(97), { topic: "from/fill" })).toThrow(/overflow/);
    r.vm.inject({ name: "restore" });
    await until("the four delivered", () => r.received.filter((m) => m.topic === "from/fill").length === 4, 15000);
    await until("budget back", () => seen.writable.at(-1) === 1024);
  });

  it("a broker refusal retrying cannot fix (bad user name or password) ends the client with onError, even with reconnect on", async () => {
    const broker = await startEmbeddedBroker((aedes) => {
      aedes.authenticate = (_client, username, _password, done) => {
        if (username === "good") return done(null, true);
        done(Object.assign(new Error("bad credentials"), { returnCode: 4 }), false);
      };
    });
    // The peer logs in as "good"; the client under test does not.
    const realConnect = mqtt.connect;
    (mqtt as { connect: typeof mqtt.connect }).connect = ((url: string, o: mqtt.IClientOptions) => realConnect(url, { ...o, username: "good" })) as typeof mqtt.connect;
    let r: Rig;
    try {
      r = await start(broker);
    } finally {
      (mqtt as { connect: typeof mqtt.connect }).connect = realConnect;
    }
    const { seen, callbacks } = recorder();
    const c = client(r, { ...callbacks, user: "bad", password: "nope", reconnectPeriod: 100 });
    const error = await until("onError", () => seen.errors[0]);
    expect(error.code).toBe("BAD_USERNAME_OR_PASSWORD");
    expect(error.modemCode).toBe(703);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen.events).toEqual(["error"]);
    expect(c.connected).toBe(false);
    expect(r.vm.log.commands().filter((l) => l.startsWith("AT+MQTTOPEN=")).length).toBe(1);
  });
});
