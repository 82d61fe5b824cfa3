import { connect as tcpConnect } from "node:net";
import type { Duplex } from "node:stream";

/** Opens the modem's byte stream: a serial device (`/dev/ttyUSB0`, a pty) or `tcp:host:port`. */
export async function openDevice(path: string, baud: number): Promise<Duplex> {
  const tcp = /^tcp:(?:\/\/)?([^:]+):(\d+)$/.exec(path);
  if (tcp) {
    const socket = tcpConnect(Number(tcp[2]), tcp[1]!);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return socket;
  }
  let SerialPort: new (o: { path: string; baudRate: number }) => Duplex;
  try {
    // Optional: only needed for real serial devices.
    ({ SerialPort } = (await import("serialport" as string)) as { SerialPort: typeof SerialPort });
  } catch {
    throw new Error(`opening ${path} needs the serialport package: npm install serialport`);
  }
  const port = new SerialPort({ path, baudRate: baud });
  await new Promise<void>((resolve, reject) => {
    port.once("open", resolve);
    port.once("error", reject);
  });
  return port;
}
