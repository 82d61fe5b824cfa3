/**
 * The virtual modem as a command:
 *   tsx hosts/emulator/cli.ts --broker mqtt://127.0.0.1:1883 --tcp 7000 [--baud 115200]
 *     [--control 7001] [--pty /tmp/modem] [--latency 20,60] [--open-result deferred|immediate|immediate-error]
 *     [--errors plain|cme] [--seed N] [--boot-delay MS] [--quiet]
 * Lines typed on stdin are fault commands (`broker-drop 1`, `reboot`, `silence 5`, `help`, `log`).
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { spawnPty } from "./adapters/pty.ts";
import { runControlLine, serveControl, serveTcp } from "./adapters/tcp.ts";
import { VirtualModem } from "./modem.ts";
import type { OpenResultStyle } from "./options.ts";

const { values } = parseArgs({
  options: {
    broker: { type: "string" },
    tcp: { type: "string", default: "7000" },
    host: { type: "string", default: "127.0.0.1" },
    baud: { type: "string", default: "115200" },
    control: { type: "string" },
    pty: { type: "string" },
    latency: { type: "string", default: "20,60" },
    "open-result": { type: "string", default: "deferred" },
    errors: { type: "string", default: "plain" },
    seed: { type: "string", default: "1" },
    "boot-delay": { type: "string", default: "0" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log("usage: tsx hosts/emulator/cli.ts --broker mqtt://127.0.0.1:1883 --tcp 7000 [--baud 115200] [--control PORT] [--pty PATH]");
  process.exit(0);
}

const [lo, hi] = values.latency.split(",").map(Number);
const openResult = values["open-result"] as OpenResultStyle;
if (!["deferred", "immediate", "immediate-error"].includes(openResult)) throw new Error(`bad --open-result ${openResult}`);

const modem = new VirtualModem({
  ...(values.broker ? { broker: values.broker } : {}),
  baud: Number(values.baud),
  latencyMs: [lo ?? 20, hi ?? lo ?? 60],
  openResult,
  errors: values.errors === "cme" ? "cme" : "plain",
  seed: Number(values.seed),
  // RDY goes out when the device side connects; a pty user may want it later, once the port is open.
  bootDelayMs: Number(values["boot-delay"]),
});

if (!values.quiet) {
  modem.on("line", (l) => console.log(`<- ${l.kind === "command" ? "" : `(${l.kind}) `}${JSON.stringify(l.text)}`));
  modem.on("payload", (p) => console.log(`<- (${p.command} payload, ${p.bytes.length} bytes${p.earlyBytes ? `, ${p.earlyBytes} before the prompt` : ""})`));
  modem.on("fault", (f) => console.log(`!! fault ${JSON.stringify(f)}`));
}

const device = await serveTcp(modem, { port: Number(values.tcp), host: values.host });
console.log(`modem on tcp://${values.host}:${device.port}${values.broker ? ` -> ${values.broker}` : ""}`);
const control = values.control ? await serveControl(modem, { port: Number(values.control), host: values.host }) : undefined;
if (control) console.log(`control on tcp://${values.host}:${control.port}`);
const pty = values.pty ? await spawnPty(values.pty, device.port) : undefined;
if (pty) console.log(`pty at ${pty.path}`);

const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const answer = runControlLine(modem, line);
  if (answer) console.log(answer);
});

async function shutdown(): Promise<void> {
  rl.close();
  pty?.close();
  await control?.close();
  await device.close();
  await modem.close();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
