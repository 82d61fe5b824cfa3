import { afterEach, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { VirtualModem, createModemStream } from "../../hosts/emulator/index.ts";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/broker.ts";
import { StreamUart } from "../../hosts/node/stream-uart.ts";
import { TelemetryApp } from "../../src/app.ts";
import { resolveSettings, type AppSettings } from "../../src/settings.ts";
import { until } from "../support/wait.ts";

interface Rig {
  broker: EmbeddedBroker;
  vm: VirtualModem;
  uart: StreamUart;
  app: TelemetryApp;
  peer: MqttClient;
  received: { topic: string; text: string }[];
  saved: [string, unknown][];
  logs: string[];
}

let rig: Rig | null = null;

async function start(overrides: Partial<AppSettings> = {}): Promise<Rig> {
  const broker = await startEmbeddedBroker();
  const vm = new VirtualModem({ broker: broker.url, latencyMs: [1, 5] });
  const uart = new StreamUart(createModemStream(vm));
  const settings = resolveSettings(() => {}, {
    mqttHost: "127.0.0.1",
    mqttPort: broker.port,
    mqttClientId: "app-test",
    topicTelemetry: "t/telemetry",
    topicCommands: "t/commands",
    topicResponses: "t/responses",
    telemetryInterval: 1000,
    ...overrides,
  });
  const saved: [string, unknown][] = [];
  const logs: string[] = [];
  const app = new TelemetryApp(
    { engine: uart.engine, clock: uart.clock, log: (l) => logs.push(l), freeHeap: () => 4321, save: (k, v) => saved.push([k, v]) },
    settings,
  );
  const peer = mqtt.connect(broker.url, { clientId: "app-test-peer" });
  const received: { topic: string; text: string }[] = [];
  peer.on("message", (topic, payload) => received.push({ topic, text: payload.toString() }));
  await new Promise<void>((resolve) => peer.on("connect", () => peer.subscribe(["t/telemetry", "t/responses"], () => resolve())));
  vm.start();
  rig = { broker, vm, uart, app, peer, received, saved, logs };
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  const r = rig;
  rig = null;
  await new Promise<void>((resolve) => {
    r.app.stop(() => resolve());
    setTimeout(resolve, 1000);
  });
  await new Promise<void>((resolve) => r.peer.end(true, {}, () => resolve()));
  r.uart.close();
  await r.vm.close();
  await r.broker.close();
});

const response = (r: Rig, match: (body: Record<string, unknown>) => boolean): Record<string, unknown> | undefined =>
  r.received
    .filter((m) => m.topic === "t/responses" && m.text.startsWith("{"))
    .map((m) => JSON.parse(m.text) as Record<string, unknown>)
    .find(match);

describe("the telemetry app on the host, against the modem emulator and a broker", () => {
  it("publishes telemetry with uptime, heap and signal quality from AT+CSQ", async () => {
    const r = await start();
    const t = await until("telemetry", () => r.received.find((m) => m.topic === "t/telemetry"));
    const body = JSON.parse(t.text) as Record<string, unknown>;
    expect(body).toMatchObject({ seq: 1, heap: 4321, rssi: 20, dbm: -73, ip: "10.2.83.148" });
    expect(typeof body.uptime).toBe("number");
    await until("second telemetry", () => r.received.filter((m) => m.topic === "t/telemetry").length >= 2, 4000);
    expect(r.vm.log.commands().filter((c) => c === "AT+CSQ").length).toBeGreaterThanOrEqual(2);
  });

  it("answers ping and status, changes and saves the interval, and names bad commands", async () => {
    const r = await start();
    await until("online", () => response(r, (b) => b.online === true));
    r.peer.publish("t/commands", "ping", { qos: 1 });
    await until("pong", () => response(r, (b) => "pong" in b));
    r.peer.publish("t/commands", '{"interval": 2500}', { qos: 1 });
    await until("interval reply", () => response(r, (b) => b.interval === 2500));
    expect(r.app.interval).toBe(2500);
    expect(r.saved).toEqual([["telemetryInterval", 2500]]);
    r.peer.publish("t/commands", "interval 5", { qos: 1 });
    const bad = await until("interval error", () => response(r, (b) => typeof b.error === "string" && b.error.includes("interval")));
    expect(bad.error).toBe('interval must be an integer from 1000 to 86400000 ms, got "5"');
    expect(r.app.interval).toBe(2500);
    r.peer.publish("t/commands", "reboot-now", { qos: 1 });
    await until("unknown command error", () => response(r, (b) => String(b.error).startsWith('unknown command "reboot-now"')));
    r.peer.publish("t/commands", "status", { qos: 1 });
    const status = await until("status", () => response(r, (b) => b.state === "open"));
    expect(status).toMatchObject({ network: "up", interval: 2500 });
  });

  it("keeps publishing through a broker drop (+MQTTBREAK) and its will tells the world meanwhile", async () => {
    const r = await start();
    await until("first telemetry", () => r.received.some((m) => m.topic === "t/telemetry"));
    r.vm.inject({ name: "broker-drop", clientId: 1 });
    // The will is quoted on the command line (the manual's only form): plain text, no `"`.
    await until("will published", () => r.received.some((m) => m.topic === "t/responses" && m.text === "offline"));
    const before = r.received.filter((m) => m.topic === "t/telemetry").length;
    await until("telemetry after recovery", () => r.received.filter((m) => m.topic === "t/telemetry").length > before, 8000);
    expect(r.logs.some((l) => l.includes("offline: disconnected by the broker"))).toBe(true);
  });
});
