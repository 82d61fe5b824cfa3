import { afterEach, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { VirtualModem, createModemStream } from "../../hosts/emulator/index.ts";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/broker.ts";
import { StreamUart } from "../../hosts/node/stream-uart.ts";
import { TelemetryApp, type Platform } from "../../src/app.ts";
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

async function start(overrides: Partial<AppSettings> = {}, memory: Partial<Platform> = { freeHeap: () => 4321 }): Promise<Rig> {
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
    { engine: uart.engine, clock: uart.clock, log: (l) => logs.push(l), freeHeap: () => -1, ...memory, save: (k, v) => saved.push([k, v]) },
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
  it("reports the engine's heap and stack figures the platform has, and leaves out what it cannot tell", async () => {
    // The simulator: no free-memory figure (0), XS heap and stack figures from instrumentation.
    const r = await start({}, { freeHeap: () => 0, engineHeap: () => ({ slots: 156_864, chunks: 29_480, stackPeak: -1 }) });
    const t = await until("telemetry", () => r.received.find((m) => m.topic === "t/telemetry"));
    const body = JSON.parse(t.text) as Record<string, unknown>;
    expect(body).toMatchObject({ seq: 1, slotHeap: 156_864, chunkHeap: 29_480 });
    expect("heap" in body).toBe(false);
    expect("stackPeak" in body).toBe(false);
  });

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
    await until("online", () => r.received.some((m) => m.topic === "t/responses" && m.text === "online"));
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

  it("an unknown command of binary bytes is named by its length, never echoed", async () => {
    const r = await start();
    await until("online", () => r.received.some((m) => m.topic === "t/responses" && m.text === "online"));
    r.peer.publish("t/commands", Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x00, 0xff, 0x07]), { qos: 1 });
    const bad = await until("unknown command error", () => response(r, (b) => String(b.error).startsWith("unknown command")));
    expect(bad.error).toBe("unknown command (8 characters, not shown); try ping, status, telemetry, interval <ms>");
    r.peer.publish("t/commands", `interval ${"9".repeat(40)}`, { qos: 1 });
    const long = await until("interval error", () => response(r, (b) => String(b.error).startsWith("interval")));
    expect(long.error).toBe("interval must be an integer from 1000 to 86400000 ms, got (40 characters, not shown)");
  });

  it("a command too large for the modem's buffers is answered as too large", async () => {
    const r = await start();
    await until("online", () => r.received.some((m) => m.topic === "t/responses" && m.text === "online"));
    r.peer.publish("t/commands", "x".repeat(5 * 1024), { qos: 1 });
    const reply = await until("too-large reply", () => response(r, (b) => String(b.error).startsWith("command too large")));
    expect(reply.error).toBe("command too large: at most 1024 bytes");
    // The connection is fine: the next command is answered.
    r.peer.publish("t/commands", "ping", { qos: 1 });
    await until("pong", () => response(r, (b) => "pong" in b));
  });

  it("a clean stop publishes the offline status, retained, before closing", async () => {
    const r = await start();
    await until("online", () => r.received.some((m) => m.topic === "t/responses" && m.text === "online"));
    const stopped = new Promise<void>((resolve) => r.app.stop(() => resolve()));
    await stopped;
    expect(r.received.filter((m) => m.topic === "t/responses").map((m) => m.text)).toEqual(["online", "offline"]);
    // Acknowledged (QoS 1) before the close: the publish's data phase precedes AT+MQTTCLOSE.
    const commands = r.vm.log.commands();
    const close = commands.indexOf("AT+MQTTCLOSE=1");
    const offline = commands.findIndex((c) => c.startsWith('AT+MQTTPUB=1,"t/responses",1,1') && c.includes("offline"));
    expect(offline).toBeGreaterThan(-1);
    expect(close).toBeGreaterThan(offline);
    // What a newcomer subscribing later sees: the retained offline status, not a stale online.
    const late = mqtt.connect(r.broker.url, { clientId: "app-test-late" });
    const retained = await new Promise<string>((resolve) => {
      late.on("message", (_t, payload, packet) => packet.retain && resolve(payload.toString()));
      late.on("connect", () => late.subscribe("t/responses", { qos: 1 }));
    });
    await new Promise<void>((resolve) => late.end(true, {}, () => resolve()));
    expect(retained).toBe("offline");
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
