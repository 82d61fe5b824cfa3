/**
 * The SDK's older `mqtt` module API over the modem (modules/mqtt/moddable-mqtt-client.ts): the
 * flow of the SDK's examples/network/mqtt/mqttbasic, ported as it is written (default import,
 * `new Client({host, timeout})`, onReady / onMessage / onClose assigned afterwards), run through
 * the modem emulator to an embedded broker, with a plain `mqtt` client as the other party.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ValidationError } from "cellmqtt/modem/validate";
import { startClientRig, stopClientRig, type ClientRig } from "../support/client-rig.ts";
import { until } from "../support/wait.ts";

import Client from "cellmqtt/mqtt/moddable-mqtt-client";

type Rig = ClientRig<Client> & { timers: ReturnType<typeof setInterval>[] };

let rig: Rig | null = null;

async function start(): Promise<Rig> {
  rig = { ...(await startClientRig<Client>("mqttbasic-peer", ["moddable/#", "will/#"])), timers: [] };
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  const r = rig;
  rig = null;
  for (const t of r.timers) clearInterval(t);
  await stopClientRig(r);
});

/**
 * examples/network/mqtt/mqttbasic/main.js, with Node's timers for Moddable's and the rig's
 * broker. The modem is handed over as module `mqtt` hands over the device's shared modem: a
 * function the client calls once.
 */
function mqttbasic(r: Rig, extra: object = {}) {
  const seen = { ready: 0, closed: 0, messages: [] as { topic: string; body: string; raw: Buffer }[], threw: null as unknown, made: 0 };
  const sharedModem = () => {
    seen.made++;
    return r.modem;
  };
  const client = new Client({ modem: sharedModem, host: "127.0.0.1", port: r.broker.port, id: "mqttbasic", timeout: 60_000, ...extra });
  r.clients.push(client);
  let timer: ReturnType<typeof setInterval> | undefined;
  client.onReady = function () {
    seen.ready++;
    this.subscribe("moddable/mqtt/example/#");
    timer = setInterval(() => {
      try {
        this.publish("moddable/mqtt/example/date", Date());
        this.publish("moddable/mqtt/example/random", Math.random());
      } catch (e) {
        seen.threw = e;
      }
    }, 100);
    r.timers.push(timer);
  };
  client.onMessage = function (topic, body) {
    seen.messages.push({ topic, body: Buffer.from(body).toString(), raw: Buffer.from(body) });
  };
  client.onClose = function () {
    seen.closed++;
    if (timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return { client, seen };
}

describe("the SDK's mqtt module API over the modem (mqttbasic)", () => {
  it("runs mqttbasic on the device's shared modem: ready, its own messages back as ArrayBuffers, the broker sees them", async () => {
    const r = await start();
    const { client, seen } = mqttbasic(r);
    expect(seen.made).toBe(1);
    await until("onReady", () => seen.ready === 1);
    expect(client.connected).toBe(true);
    await until("both topics back", () => {
      const topics = new Set(seen.messages.map((m) => m.topic));
      return topics.has("moddable/mqtt/example/date") && topics.has("moddable/mqtt/example/random");
    });
    const random = seen.messages.find((m) => m.topic === "moddable/mqtt/example/random")!;
    expect(Number(random.body)).toBeGreaterThanOrEqual(0);
    expect(Number(random.body)).toBeLessThan(1);
    const date = seen.messages.find((m) => m.topic === "moddable/mqtt/example/date")!;
    expect(Number.isNaN(Date.parse(date.body))).toBe(false);
    await until("the broker's copy", () => r.received.some((m) => m.topic === "moddable/mqtt/example/random"));
    expect(seen.closed).toBe(0);
    expect(seen.threw).toBe(null);
  });

  it("delivers a message the peer publishes, byte for byte, and passes the will to the broker", async () => {
    const r = await start();
    const { seen } = mqttbasic(r, { will: { topic: "will/mqttbasic", message: "gone", retain: false } });
    await until("onReady", () => seen.ready === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    r.peer.publish("moddable/mqtt/example/peer", Buffer.from([0x68, 0x69, 0x00, 0xff]));
    const peer = await until("the peer's message", () => seen.messages.find((m) => m.topic === "moddable/mqtt/example/peer"));
    expect([...peer.raw]).toEqual([0x68, 0x69, 0x00, 0xff]);
    r.vm.inject({ name: "broker-drop", clientId: 1 });
    await until("the will", () => r.received.some((m) => m.topic === "will/mqttbasic" && m.payload.toString() === "gone"));
  });

  it("ends with onClose when the broker drops the connection, as the SDK's client does: no reconnect, calls then throw", async () => {
    const r = await start();
    const { client, seen } = mqttbasic(r);
    await until("onReady", () => seen.ready === 1);
    r.vm.inject({ name: "broker-drop", clientId: 1 });
    await until("onClose", () => seen.closed === 1);
    expect(client.connected).toBe(false);
    expect(() => client.publish("moddable/mqtt/example/date", "late")).toThrow("connection closed");
    expect(() => client.subscribe("moddable/x")).toThrow("connection closed");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(seen.ready).toBe(1);
    expect(seen.closed).toBe(1);
    expect(r.modem.session(1).stateName).toBe("idle");
  });

  it("with reconnect: true, reports each loss with onClose and each new connection with onReady", async () => {
    const r = await start();
    const { seen } = mqttbasic(r, { reconnect: true });
    await until("onReady", () => seen.ready === 1);
    r.vm.inject({ name: "broker-drop", clientId: 1 });
    await until("onClose", () => seen.closed === 1);
    await until("onReady again", () => seen.ready === 2, 15000);
    const before = seen.messages.length;
    await until("messages again", () => seen.messages.length > before + 2);
  });

  it("refuses what the modem cannot carry, naming the field, and keeps going", async () => {
    const r = await start();
    const { client, seen } = mqttbasic(r);
    await until("onReady", () => seen.ready === 1);
    const big = new ArrayBuffer(r.modem.limits.payloadMax + 1);
    expect(() => client.publish("moddable/mqtt/example/big", big)).toThrow(ValidationError);
    expect(() => client.publish("moddable/mqtt/example/big", big)).toThrow(/data/);
    expect(() => client.publish('bad"topic', "x")).toThrow(/topic/);
    expect(() => client.publish("moddable/a", "x", { quality: 3 })).toThrow(/quality/);
    client.publish("moddable/mqtt/example/after", new Uint8Array([0x6f, 0x6b]).buffer, { quality: 1 });
    await until("the message after the refusals", () => r.received.some((m) => m.topic === "moddable/mqtt/example/after" && m.payload.toString() === "ok"));
  });

  it("logs a callback that throws and goes on delivering", async () => {
    const r = await start();
    const { client, seen } = mqttbasic(r);
    const onMessage = client.onMessage!;
    let thrown = 0;
    client.onMessage = function (topic, body) {
      if (thrown++ === 0) throw new Error("app bug");
      onMessage.call(this, topic, body);
    };
    await until("messages after the throw", () => seen.messages.length >= 2);
    expect(r.logs.some((l) => l.includes("onMessage threw: app bug"))).toBe(true);
    expect(seen.closed).toBe(0);
  });

  it("calls nothing after close(), and refuses what it cannot do", async () => {
    const r = await start();
    expect(() => new Client({} as never)).toThrow("parameter host is required");
    expect(() => new Client({ host: "h" } as never)).toThrow(/modem/);
    expect(() => new Client({ host: "h", path: "/mqtt", modem: r.modem })).toThrow(/path/);
    const { client, seen } = mqttbasic(r);
    await until("onReady", () => seen.ready === 1);
    client.close();
    const count = seen.messages.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen.messages.length).toBe(count);
    expect(seen.closed).toBe(0);
    await until("the session closed", () => r.modem.session(1).stateName === "idle");
  });
});
