/**
 * The firmware logic on Node.
 *
 *   tsx hosts/node/cli.ts demo [--broker mqtt://host:port] [--duration 20] [--interval 2000] [--json]
 *     An embedded broker (unless --broker), the modem emulator, and the telemetry app; a separate
 *     MQTT client sends the device commands, and a broker drop (+MQTTBREAK) is injected midway.
 *
 *   tsx hosts/node/cli.ts run --device /dev/ttyUSB0|tcp:127.0.0.1:7000 [--baud 115200]
 *       --host broker.example.com [--port 1883] [--client-id id] [--username u] [--password p]
 *       [--apn apn] [--telemetry topic] [--commands topic] [--responses topic] [--interval ms] [--json]
 *     The telemetry app against a real modem (USB serial) or the emulator's TCP port.
 */
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { VirtualModem, createModemStream } from "../emulator/index.ts";
import { TelemetryApp } from "../../src/app.ts";
import { resolveSettings, type AppSettings } from "../../src/settings.ts";
import { startEmbeddedBroker } from "./broker.ts";
import { openDevice } from "./device.ts";
import { Printer, show } from "./printer.ts";
import { StreamUart } from "./stream-uart.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    broker: { type: "string" },
    device: { type: "string" },
    baud: { type: "string", default: "115200" },
    host: { type: "string" },
    port: { type: "string" },
    "client-id": { type: "string" },
    username: { type: "string" },
    password: { type: "string" },
    apn: { type: "string" },
    telemetry: { type: "string" },
    commands: { type: "string" },
    responses: { type: "string" },
    interval: { type: "string" },
    duration: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

const mode = positionals[0] ?? "demo";
const out = new Printer(values.json);

if (values.help || (mode !== "demo" && mode !== "run")) {
  console.log("usage: cellmqtt demo [--broker URL] [--duration s] [--interval ms] [--json]");
  console.log("       cellmqtt run --device PATH|tcp:HOST:PORT --host BROKER [--port N] [--client-id ID] [--username U] [--password P] [--apn APN] [--interval ms] [--json]");
  process.exit(values.help ? 0 : 2);
}

function settingsFrom(defaults: Partial<AppSettings>): AppSettings {
  const given: Record<string, unknown> = {
    mqttHost: values.host,
    mqttPort: values.port,
    mqttClientId: values["client-id"],
    mqttUser: values.username,
    mqttPassword: values.password,
    apn: values.apn,
    topicTelemetry: values.telemetry,
    topicCommands: values.commands,
    topicResponses: values.responses,
    telemetryInterval: values.interval,
  };
  return resolveSettings((m) => out.line("app", m), defaults, given);
}

function startApp(uart: StreamUart, settings: AppSettings): TelemetryApp {
  const app = new TelemetryApp(
    {
      engine: uart.engine,
      clock: uart.clock,
      log: (line) =>
        line.startsWith("app: ") ? out.line("app", line.slice(5)) : out.line(line.startsWith("mqtt[") ? "mqtt" : "modem", line),
      freeHeap: () => {
        const m = process.memoryUsage();
        return m.heapTotal - m.heapUsed;
      },
    },
    settings,
  );
  app.client.on("message", (topic, payload) => out.line("device", `received ${topic}: ${show(payload)}`));
  return app;
}

/** Stops on Ctrl-C or after --duration seconds, whichever comes first. */
function stopOn(stop: () => Promise<void>, durationSeconds: number | undefined): void {
  let stopping = false;
  const go = (why: string): void => {
    if (stopping) return;
    stopping = true;
    out.line("host", `stopping (${why})`);
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        out.line("host", `error while stopping: ${String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => go("Ctrl-C"));
  process.on("SIGTERM", () => go("SIGTERM"));
  if (durationSeconds !== undefined) setTimeout(() => go(`--duration ${durationSeconds}`), durationSeconds * 1000);
}

async function demo(): Promise<void> {
  const embedded = values.broker ? null : await startEmbeddedBroker();
  const brokerUrl = values.broker ?? embedded!.url;
  const url = new URL(brokerUrl);
  out.line("broker", embedded ? `embedded broker on ${brokerUrl}` : `using broker ${brokerUrl}`);

  const vm = new VirtualModem({ broker: brokerUrl, baud: Number(values.baud), latencyMs: [20, 60] });
  vm.on("fault", (f) => out.line("fault", `injected ${f.name}`));
  const uart = new StreamUart(createModemStream(vm));
  const settings = settingsFrom({
    mqttHost: url.hostname,
    mqttPort: Number(url.port || 1883),
    mqttClientId: "cellmqtt-demo",
    topicTelemetry: "demo/telemetry",
    topicCommands: "demo/commands",
    topicResponses: "demo/responses",
    telemetryInterval: 2000,
  });
  const app = startApp(uart, settings);

  // The other side: an operator's MQTT client watching telemetry and sending commands.
  const peer = mqtt.connect(brokerUrl, { clientId: "cellmqtt-demo-operator" });
  peer.on("connect", () => peer.subscribe([settings.topicTelemetry, settings.topicResponses]));
  peer.on("message", (topic, payload) => out.line("operator", `${topic}: ${payload.toString()}`));

  let connects = 0;
  app.client.on("connect", () => {
    connects++;
    if (connects === 1) {
      setTimeout(() => peer.publish(settings.topicCommands, "ping", { qos: 1 }), 1000);
      setTimeout(() => peer.publish(settings.topicCommands, '{"interval": 3000}', { qos: 1 }), 2500);
      setTimeout(() => vm.inject({ name: "broker-drop", clientId: 1 }), 6000);
    } else {
      out.line("host", `reconnected (${connects - 1} recoveries so far)`);
      setTimeout(() => peer.publish(settings.topicCommands, "status", { qos: 1 }), 500);
    }
  });
  vm.start();

  stopOn(async () => {
    await new Promise<void>((resolve) => app.stop(() => resolve()));
    await new Promise<void>((resolve) => peer.end(false, {}, () => resolve()));
    uart.close();
    await vm.close();
    await embedded?.close();
  }, values.duration === undefined ? 20 : Number(values.duration));
}

async function run(): Promise<void> {
  if (!values.device) throw new Error("run needs --device PATH or --device tcp:HOST:PORT");
  if (!values.host) throw new Error("run needs --host (the MQTT broker the modem connects to)");
  const stream = await openDevice(values.device, Number(values.baud));
  out.line("host", `modem on ${values.device}`);
  const uart = new StreamUart(stream);
  const app = startApp(uart, settingsFrom({}));
  stopOn(async () => {
    await new Promise<void>((resolve) => {
      app.stop(() => resolve());
      setTimeout(resolve, 3000); // a modem that no longer answers must not hold the exit
    });
    uart.close();
    stream.destroy();
  }, values.duration === undefined ? undefined : Number(values.duration));
}

(mode === "demo" ? demo() : run()).catch((e: unknown) => {
  out.line("host", e instanceof Error ? e.message : String(e));
  process.exit(1);
});
