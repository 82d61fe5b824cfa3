/**
 * A mosquitto broker of the test's own: a free loopback port, a config file in a temporary
 * directory, optional password file, stopped (and the directory removed) by `stop()`.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface Mosquitto {
  port: number;
  url: string;
  /** What mosquitto wrote to stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** user name -> password; when given, anonymous clients are refused. */
  users?: Record<string, string>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** On PATH, else Debian's /usr/sbin (not on a normal user's PATH), else /usr/local/sbin. */
export function findBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];
  for (const d of dirs) if (d && executable(join(d, name))) return join(d, name);
  throw new Error(`${name} not found: run scripts/ensure-mosquitto.sh (or apt-get install -y mosquitto)`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const bin = findBinary("mosquitto");
  const dir = mkdtempSync(join(tmpdir(), "cellmqtt-mosquitto-"));
  // Run as root, mosquitto would switch to user "mosquitto", who cannot read this directory.
  chmodSync(dir, 0o755);
  const conf: string[] = [];
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root) conf.push("user root");
  if (options.users) {
    const file = join(dir, "passwd");
    let first = true;
    for (const [user, password] of Object.entries(options.users)) {
      execFileSync(findBinary("mosquitto_passwd"), ["-b", ...(first ? ["-c"] : []), file, user, password], { stdio: "pipe" });
      first = false;
    }
    conf.push("allow_anonymous false", `password_file ${file}`);
  } else {
    conf.push("allow_anonymous true");
  }
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const confFile = join(dir, "mosquitto.conf");
    writeFileSync(confFile, [`listener ${port} 127.0.0.1`, ...conf, "persistence false", "log_dest stderr", "log_type error", "log_type warning", ""].join("\n"));
    const child: ChildProcess = spawn(bin, ["-c", confFile], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    let exited = false;
    child.once("exit", () => (exited = true));
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline && !(await accepts(port))) await new Promise((r) => setTimeout(r, 20));
    if (exited || Date.now() >= deadline) {
      lastError = stderr;
      child.kill("SIGKILL");
      continue; // the port was taken meanwhile, say: try another
    }
    return {
      port,
      url: `mqtt://127.0.0.1:${port}`,
      output: () => stderr,
      async stop() {
        if (!exited) {
          const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.kill("SIGTERM");
          const t = setTimeout(() => child.kill("SIGKILL"), 2000);
          await gone;
          clearTimeout(t);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`mosquitto did not start: ${lastError}`);
}
