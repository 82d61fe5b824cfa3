/**
 * The virtual modem as a command (`--help` lists every flag, from the same table that parses them):
 *   tsx hosts/emulator/cli.ts --broker mqtt://127.0.0.1:1883 --tcp 7000 [--baud 115200]
 *     [--control 7001] [--pty /tmp/modem] [--latency 20,60] [--open-result deferred|immediate|immediate-error]
 *     [--errors plain|cme] [--seed N] [--boot-delay MS] [--quiet]
 * Lines typed on stdin are fault commands (`broker-drop 1`, `reboot`, `silence 5`, `help`, `log`).
 * A bad flag value stops it with one line and exit status 2 before anything listens.
 */
import { spawnSync } from "node:child_process";
import { isIP } from "node:net";
import { createInterface } from "node:readline";
import { UsageError, brokerUrl, flag, flagHelp, integer, oneOf, parseFlags, printable, toggle, type FlagTable } from "../cli-flags.ts";
import { jsonText } from "../terminal-text.ts";
import { spawnPty } from "./adapters/pty.ts";
import { runControlLine, serveControl, serveTcp, type TcpServer } from "./adapters/tcp.ts";
import { VirtualModem } from "./modem.ts";

const PROGRAM = "npm run emulator --";

function listenAddress(text: string, flag: string): string {
  if (isIP(text) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(text)) {
    throw new UsageError(`${flag}: must be an IP address or a host name to listen on, got "${printable(text)}"`);
  }
  return text;
}

function latency(text: string, flag: string): readonly [number, number] {
  const m = /^(\d{1,6})(?:,(\d{1,6}))?$/.exec(text);
  const lo = m ? Number(m[1]) : Number.NaN;
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!(lo >= 0 && hi >= lo && hi <= 600_000)) throw new UsageError(`${flag}: must be MIN or MIN,MAX in ms, 0 <= MIN <= MAX <= 600000, got "${printable(text)}"`);
  return [lo, hi];
}

function ptyPath(text: string, flag: string): string {
  if (text === "" || /[^\x21-\x7e]/.test(text)) throw new UsageError(`${flag}: must be a file path of printable characters, got "${printable(text)}"`);
  return text;
}

const FLAGS = {
  broker: flag("URL", "bridge every AT+MQTTOPEN to this broker, whatever host and port the device gives (default: the device's)", brokerUrl),
  tcp: flag("PORT", "device port: the UART bytes over TCP, 0 for any free port", integer(0, 65535), "7000"),
  host: flag("ADDR", "address the device and control ports listen on", listenAddress, "127.0.0.1"),
  baud: flag("N", "output pacing in baud (bytes/s = baud / 10), 0 for unpaced", integer(0, 4_000_000), "115200"),
  control: flag("PORT", "fault port: one fault line in, OK or ERROR out", integer(0, 65535)),
  pty: flag("PATH", "also a pty at PATH bridged to the device port (needs socat)", ptyPath),
  latency: flag("MIN,MAX", "delay of asynchronous results, ms", latency, "20,60"),
  "open-result": flag("STYLE", "how AT+MQTTOPEN reports: deferred, immediate or immediate-error", oneOf("deferred", "immediate", "immediate-error"), "deferred"),
  errors: flag("STYLE", "error results: plain (ERROR) or cme (+CME ERROR: n)", oneOf("plain", "cme"), "plain"),
  seed: flag("N", "PRNG seed for jitter, split points and garbage, 0 to 4294967295", integer(0, 0xffff_ffff), "1"),
  "boot-delay": flag("MS", "from a device connecting to RDY, 0 to 600000", integer(0, 600_000), "0"),
  "reboot-delay": flag("MS", "from a reboot fault to RDY, 0 to 600000", integer(0, 600_000), "200"),
  "data-timeout": flag("MS", "a data phase gives up with an error after this, 0 to 600000 (0: waits for ever)", integer(0, 600_000), "0"),
  "publish-data": flag("READING", "AT+MQTTPUB length form: raw bytes, or hex (two digits a byte); Datasize counts the bytes sent", oneOf("raw", "hex"), "raw"),
  "read-layout": flag("LAYOUT", "AT+MQTTREAD answer: one-line (record on the header's line) or two-line (record on the next line, as the manual prints it)", oneOf("one-line", "two-line"), "one-line"),
  "tls-field": flag("N", "also accept a sixth AT+MQTTOPEN argument equal to N, 1 or 2 (TLS on some firmware; default: the manual's five fields only)", oneOf("1", "2")),
  "mqtt-needs-data-call": toggle("refuse every AT+MQTT* command while the data call is down, as some firmware does"),
  "persist-settings": toggle("keep MQTTUSER, MQTTWILL and MQTTCONF across a reboot (the manual: not persistent)"),
  quiet: toggle("do not print each line the device sends"),
  help: toggle("this help"),
} satisfies FlagTable;

function helpText(): string {
  return [`usage: ${PROGRAM} [flags]     a virtual modem on a TCP port; fault commands on stdin (help lists them)`, "", ...flagHelp(FLAGS)].join("\n");
}

function fail(message: string, status: number): never {
  process.stderr.write(`emulator: ${message}\n`);
  process.exit(status);
}

let values: ReturnType<typeof parseFlags<typeof FLAGS>>["values"];
try {
  const parsed = parseFlags(process.argv.slice(2), FLAGS, PROGRAM);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${printable(parsed.positionals[0]!)}" (${PROGRAM} --help)`);
  values = parsed.values;
  if (values.pty !== undefined && spawnSync("socat", ["-V"], { stdio: "ignore" }).error) throw new UsageError("--pty needs socat on PATH (apt-get install socat)");
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  fail(e.message, 2);
}
if (values.help) {
  console.log(helpText());
  process.exit(0);
}

const host = values.host ?? "127.0.0.1";
const modem = new VirtualModem({
  ...(values.broker ? { broker: values.broker } : {}),
  baud: values.baud ?? 115_200,
  latencyMs: values.latency ?? [20, 60],
  openResult: values["open-result"] ?? "deferred",
  errors: values.errors ?? "plain",
  seed: values.seed ?? 1,
  // RDY goes out when the device side connects; a pty user may want it later, once the port is open.
  bootDelayMs: values["boot-delay"] ?? 0,
  rebootDelayMs: values["reboot-delay"] ?? 200,
  dataTimeoutMs: values["data-timeout"] ?? 0,
  publishData: values["publish-data"] ?? "raw",
  readLayout: values["read-layout"] ?? "one-line",
  tlsField: values["tls-field"] === undefined ? "none" : values["tls-field"] === "1" ? 1 : 2,
  mqttNeedsDataCall: values["mqtt-needs-data-call"] ?? false,
  persistSettings: values["persist-settings"] ?? false,
});

if (!values.quiet) {
  modem.on("line", (l) => console.log(`<- ${l.kind === "command" ? "" : `(${l.kind}) `}${jsonText(l.text)}`));
  modem.on("payload", (p) => console.log(`<- (${p.command} payload, ${p.bytes.length} bytes${p.earlyBytes ? `, ${p.earlyBytes} before the prompt` : ""})`));
  modem.on("fault", (f) => console.log(`!! fault ${jsonText(JSON.stringify(f)).slice(1, -1)}`));
}

/** Listens, or ends the program with one line naming the flag (a port in use, an address not here). */
async function listenOr(flagName: string, port: number, start: () => Promise<TcpServer>): Promise<TcpServer> {
  try {
    return await start();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "is in use" : code === "EADDRNOTAVAIL" ? "is not an address of this machine" : code === "EACCES" ? "needs more privileges" : `cannot be listened on (${code ?? String(e)})`;
    await modem.close();
    return fail(`--${flagName} ${port}: ${host}:${port} ${why}`, 1);
  }
}

const device = await listenOr("tcp", values.tcp ?? 7000, () => serveTcp(modem, { port: values.tcp ?? 7000, host }));
console.log(`modem on tcp://${host}:${device.port}`);
if (values.broker) {
  console.log(`bridging every MQTT connection to ${values.broker}: the host and port in AT+MQTTOPEN are ignored (client id, credentials and will go through)`);
} else console.log("each AT+MQTTOPEN connects to the host and port it names");
const control = values.control === undefined ? undefined : await listenOr("control", values.control, () => serveControl(modem, { port: values.control!, host }));
if (control) console.log(`control on tcp://${host}:${control.port}`);
let pty: Awaited<ReturnType<typeof spawnPty>> | undefined;
if (values.pty !== undefined) {
  try {
    pty = await spawnPty(values.pty, device.port);
  } catch (e) {
    await device.close();
    await modem.close();
    fail(`--pty ${values.pty}: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
  console.log(`pty at ${pty.path}`);
}

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
