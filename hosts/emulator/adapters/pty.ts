/**
 * Optional pty adapter: spawns `socat pty,raw,echo=0,link=<path> tcp:127.0.0.1:<port>` so a
 * program that opens a serial device path (the Moddable simulator) talks to the TCP device port.
 * Needs socat on PATH.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

export interface PtyBridge {
  path: string;
  child: ChildProcess;
  close(): void;
}

export async function spawnPty(path: string, tcpPort: number, timeoutMs = 3000): Promise<PtyBridge> {
  const child = spawn("socat", [`pty,raw,echo=0,link=${path}`, `tcp:127.0.0.1:${tcpPort}`], { stdio: "inherit" });
  const deadline = Date.now() + timeoutMs;
  // socat creates the link once both ends are up; poll rather than parse its logging.
  while (!existsSync(path)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`socat did not create ${path}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { path, child, close: () => child.kill() };
}
