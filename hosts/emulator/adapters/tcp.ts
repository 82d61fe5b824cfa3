/**
 * TCP adapters. The device port carries the UART bytes (one device at a time; a new connection
 * replaces the old one and, by default, power-cycles the modem so each new device connection starts at `RDY`).
 * The control port takes fault lines (`broker-drop 1`, `AT#FAULT=reboot`) and answers OK/ERROR,
 * without putting anything on the device's line.
 */
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { FAULT_NAMES } from "../faults.ts";
import type { VirtualModem } from "../modem.ts";
import { attachStream } from "./stream.ts";

export interface TcpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export interface TcpOptions {
  port: number;
  host?: string;
  /** Restart the modem (state reset, `RDY`) on each new device connection. Default true. */
  rebootOnConnect?: boolean;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

export async function serveTcp(modem: VirtualModem, options: TcpOptions): Promise<TcpServer> {
  const sockets = new Set<Socket>();
  let current: { socket: Socket; detach: () => void } | undefined;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    if (current) {
      current.detach();
      current.socket.destroy();
    }
    const detach = attachStream(modem, socket);
    const mine = { socket, detach };
    current = mine;
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      if (current === mine) {
        detach();
        current = undefined;
      }
    });
    if (options.rebootOnConnect ?? true) modem.start();
  });
  const port = await listen(server, options.port, options.host ?? "127.0.0.1");
  return { server, port, close: closer(server, sockets) };
}

export async function serveControl(modem: VirtualModem, options: { port: number; host?: string }): Promise<TcpServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      const lines = buffered.split(/\r?\n|\r/);
      buffered = lines.pop() ?? "";
      for (const line of lines) socket.write(`${runControlLine(modem, line)}\n`);
    });
  });
  const port = await listen(server, options.port, options.host ?? "127.0.0.1");
  return { server, port, close: closer(server, sockets) };
}

/** One line of the control channel (also used by the CLI's stdin). */
export function runControlLine(modem: VirtualModem, line: string): string {
  const text = line.trim();
  if (text === "") return "";
  if (text === "help") return `faults: ${FAULT_NAMES.join(", ")}; also: log`;
  if (text === "log") return modem.log.lines.map((l) => `${l.kind} ${JSON.stringify(l.text)}`).join("\n");
  return modem.control(text) ? "OK" : "ERROR";
}
