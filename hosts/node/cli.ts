/**
 * The firmware logic on Node (`cellmqtt --help` lists every flag, from the same table that parses them).
 *
 *   cellmqtt demo [--broker mqtt://host:port] [--duration 20] [--interval 2000] [--json]
 *     An embedded broker (unless --broker), the modem emulator, and the telemetry app; a separate
 *     MQTT client sends the device commands, and a broker drop (+MQTTBREAK) is injected midway.
 *
 *   cellmqtt run --device /dev/ttyUSB0|tcp:127.0.0.1:7000 --host broker.example.com [flags]
 *     The telemetry app against a real modem (USB serial) or the emulator's TCP port.
 */
import mqtt from "mqtt";
import { VirtualModem, createModemStream } from "../emulator/index.ts";
import { TelemetryApp } from "../../src/app.ts";
import type { AppSettings } from "../../src/settings.ts";
import { UsageError } from "../cli-flags.ts";
import { startEmbeddedBroker } from "./broker.ts";
import { helpText, parseCommandLine, type DemoInvocation, type Invocation, type RunInvocation } from "./command-line.ts";
import { DeviceKeeper, openDevice } from "./device.ts";
import { Printer, show } from "./printer.ts";
import { StreamUart } from "./stream-uart.ts";

// Output piped into `head` and the like: a closed pipe ends the program quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => process.exit(e.code === "EPIPE" ? 0 : 1));

let invocation: Invocation;
try {
  invocation = parseCommandLine(process.argv.slice(2), process.env);
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`cellmqtt: ${e.message}\n`);
  process.exit(2);
}
if (invocation.command === "help") {
  console.log(helpText());
  process.exit(0);
}
const out = new Printer(invocation.json, invocation.verbose);

function startApp(uart: StreamUart, settings: AppSettings): TelemetryApp {
  if (invocation.command !== "help" && invocation.trace) {
    uart.trace = (direction, bytes) => out.line("at", `${direction === "in" ? "<-" : "->"} ${Buffer.from(bytes).toString("latin1")}`);
  }
  const app = new TelemetryApp(
    {
      engine: uart.engine,
      clock: uart.clock,
      log: (line) => out.log(line),
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

/** The app's clean stop, bounded: a modem that no longer answers must not hold the exit. */
function stopApp(app: TelemetryApp): Promise<void> {
  return new Promise<void>((resolve) => {
    app.stop(() => resolve());
    setTimeout(resolve, 5000);
  });
}

async function demo(inv: DemoInvocation): Promise<void> {
  const embedded = inv.broker ? null : await startEmbeddedBroker();
  const brokerUrl = inv.broker ?? embedded!.url;
  const url = new URL(brokerUrl);
  out.line("broker", embedded ? `embedded broker on ${brokerUrl}` : `using broker ${brokerUrl}`);

  const vm = new VirtualModem({ broker: brokerUrl, baud: inv.baud, latencyMs: [20, 60] });
  vm.on("fault", (f) => out.line("fault", `injected ${f.name}`));
  const uart = new StreamUart(createModemStream(vm));
  const settings: AppSettings = { ...inv.settings, mqttHost: url.hostname, mqttPort: Number(url.port || 1883) };
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
    await stopApp(app);
    await new Promise<void>((resolve) => peer.end(false, {}, () => resolve()));
    uart.close();
    await vm.close();
    await embedded?.close();
  }, inv.durationS);
}

async function run(inv: RunInvocation): Promise<void> {
  const uart = new StreamUart(null);
  const device = new DeviceKeeper(() => openDevice(inv.device, inv.baud), {
    opened: (stream, again) => {
      uart.attach(stream);
      out.line("host", again ? `modem on ${inv.device} again` : `modem on ${inv.device}`);
    },
    lost: (why) => {
      uart.attach(null);
      if (inv.exitOnLoss) {
        out.line("host", `modem stream ${why}; exiting (--exit-on-loss)`);
        process.exit(1);
      }
      out.line("host", `modem stream ${why}; reopening ${inv.device}`);
    },
    retrying: (why, ms) => out.line("host", `cannot reopen ${inv.device}: ${why}; next try in ${ms} ms`),
  });
  await device.start();
  const app = startApp(uart, inv.settings);
  stopOn(async () => {
    await stopApp(app);
    uart.close();
    device.stop();
  }, inv.durationS);
}

(invocation.command === "demo" ? demo(invocation) : run(invocation)).catch((e: unknown) => {
  out.line("host", e instanceof Error ? e.message : String(e));
  process.exit(1);
});
