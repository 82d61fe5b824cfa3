/**
 * The two CLIs as a user runs them: refusals are one line on stderr with exit status 2 and no
 * stack trace; a port in use is one line and a non-zero status; a modem stream that ends is
 * reported at once; text from the network reaches the terminal escaped.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualModem, serveTcp } from "../../hosts/emulator/index.ts";
import { startEmbeddedBroker } from "../../hosts/node/broker.ts";
import { until } from "../support/wait.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CELLMQTT = ["hosts/node/bin.mjs"];
// tsx's loader in this very process: tsx's own CLI would start a second node that a kill
// of the first leaves running.
const EMULATOR = ["--import", "tsx", "hosts/emulator/cli.ts"];

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

const running: Run[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

function start(script: string[], args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [...script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const run: Run = { child, stdout: "", stderr: "", exited: once(child, "exit").then(([code]) => code as number | null) };
  child.stdout!.on("data", (b: Buffer) => (run.stdout += b.toString("latin1")));
  child.stderr!.on("data", (b: Buffer) => (run.stderr += b.toString("latin1")));
  running.push(run);
  return run;
}

async function finished(script: string[], args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = start(script, args, env);
  const status = await r.exited;
  return { status, stdout: r.stdout, stderr: r.stderr };
}

afterEach(async () => {
  for (const r of running.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listening(server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => sockets.add(s));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

describe("cellmqtt", () => {
  for (const [args, flag] of [
    [["run", "--device", "tcp:127.0.0.1:7000", "--host", "h", "--port", "abc"], "--port"],
    [["frobnicate"], "frobnicate"],
  ] as const) {
    it(`${args.join(" ")}: one line naming ${flag} on stderr, exit status 2, nothing started`, async () => {
      const r = await finished(CELLMQTT, [...args]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n")).toEqual([expect.stringContaining(flag), ""]);
      expect(r.stderr).not.toMatch(/\bat .*\(|Error\b/);
    });
  }

  it("--help prints the flags of both commands and exits 0", async () => {
    const r = await finished(CELLMQTT, ["--help"]);
    expect(r.status).toBe(0);
    for (const f of ["--baud", "--telemetry", "--commands", "--responses", "--duration", "--exit-on-loss", "--verbose"]) expect(r.stdout).toContain(f);
  });

  it("a modem stream that ends is reported at once; --exit-on-loss exits with status 1", async () => {
    const server = createServer((socket) => setTimeout(() => socket.end(), 300));
    const port = await listening(server);
    const r = start(CELLMQTT, ["run", "--device", `tcp:127.0.0.1:${port}`, "--host", "127.0.0.1", "--exit-on-loss"]);
    const status = await r.exited;
    expect(status).toBe(1);
    expect(r.stdout).toMatch(/\[host\] +modem stream ended \(the device closed it\); exiting \(--exit-on-loss\)/);
    expect(r.stdout).not.toContain("no answer to AT");
  });

  it("without --exit-on-loss the device is reopened and the modem found again", async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      if (sockets.length === 1) setTimeout(() => socket.destroy(), 300);
    });
    const port = await listening(server);
    const r = start(CELLMQTT, ["run", "--device", `tcp:127.0.0.1:${port}`, "--host", "127.0.0.1"]);
    await until("the loss and the reopen", () => /modem on tcp:\S+ again/.test(r.stdout), 15_000);
    const lost = r.stdout.indexOf("modem stream");
    expect(lost).toBeGreaterThan(0);
    expect(r.stdout.slice(lost)).toMatch(/^modem stream (ended|closed)[^\n]*; reopening tcp:/);
    expect(sockets.length).toBe(2);
  });

  it("topics and payloads from the network are printed escaped: no escape sequence, CR or LF reaches the terminal", async () => {
    const broker = await startEmbeddedBroker();
    cleanups.push(() => broker.close());
    const vm = new VirtualModem({ broker: broker.url, latencyMs: [1, 5] });
    const device = await serveTcp(vm, { port: 0 });
    cleanups.push(async () => {
      await device.close();
      await vm.close();
    });
    const r = start(CELLMQTT, ["run", "--device", `tcp:127.0.0.1:${device.port}`, "--host", "127.0.0.1", "--port", String(broker.port), "--commands", "#", "--trace"]);
    await until("the app's subscription", () => r.stdout.includes("connected to 127.0.0.1"), 20_000);
    // The subscription goes out right after the connect; give it time to be granted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Published by the broker itself: MQTT clients refuse a topic with CR or LF, a hostile broker need not.
    const hostile = { cmd: "publish", topic: "x\r\nAT+X", payload: Buffer.from("\u001b[31mRED\u001b]0;pwned\u0007", "latin1"), qos: 1, retain: false, dup: false };
    broker.aedes.publish(hostile as Parameters<typeof broker.aedes.publish>[0], () => {});
    await until("the message", () => r.stdout.includes("received x"), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("AT+X"))).toEqual([]);
    expect(r.stdout).toContain("received x\\r\\nAT+X: 0x1b5b33316d5245441b5d303b70776e656407");
    // The AT trace shows the raw record escaped too.
    expect(r.stdout).toMatch(/\[at\] +<- .*\\e\[31mRED/);
  }, 40_000);
});

describe("the emulator", () => {
  it("a bad flag value: one line naming it, exit status 2", async () => {
    for (const args of [["--tcp", "abc"], ["--frob"], ["--publish-data", "base64"], ["--data-timeout", "-1"], ["--read-layout", "three-line"], ["--tls-field", "0"], ["--tls-field", "3"]]) {
      const r = await finished(EMULATOR, args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.split("\n"), args.join(" ")).toEqual([expect.stringContaining(args[0]!), ""]);
    }
  }, 40_000);

  it("a device port in use: one line, non-zero status, no stack trace", async () => {
    const port = await listening(createServer());
    const r = await finished(EMULATOR, ["--tcp", String(port)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`emulator: --tcp ${port}: 127.0.0.1:${port} is in use\n`);
  });

  it("--help lists every flag its parser takes", async () => {
    const r = await finished(EMULATOR, ["--help"]);
    expect(r.status).toBe(0);
    const flags = [...r.stdout.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]);
    expect(flags).toEqual(["broker", "tcp", "host", "baud", "control", "pty", "latency", "open-result", "errors", "seed", "boot-delay", "reboot-delay", "data-timeout", "publish-data", "read-layout", "tls-field", "mqtt-needs-data-call", "persist-settings", "quiet", "help"]);
  });

  it("with --broker it says at start-up that every connection is bridged there", async () => {
    const r = start(EMULATOR, ["--tcp", "0", "--broker", "mqtt://127.0.0.1:1883", "--quiet"]);
    await until("the start-up lines", () => r.stdout.includes("bridging"), 15_000);
    expect(r.stdout).toMatch(/^bridging every MQTT connection to mqtt:\/\/127\.0\.0\.1:1883: the host and port in AT\+MQTTOPEN are ignored/m);
  });
});
