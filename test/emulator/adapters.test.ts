/** The TCP device and control ports, and the in-process Duplex. */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createModemStream, serveControl, serveTcp, VirtualModem } from "../../hosts/emulator/index.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function reader(socket: Socket): (pattern: string) => Promise<string> {
  let buf = "";
  socket.on("data", (b: Buffer) => (buf += b.toString("latin1")));
  return async (pattern) => {
    const deadline = Date.now() + 2000;
    while (!buf.includes(pattern)) {
      if (Date.now() > deadline) throw new Error(`timed out for ${pattern}: ${JSON.stringify(buf)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = buf;
    buf = "";
    return out;
  };
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, "127.0.0.1");
  await once(s, "connect");
  cleanups.push(() => void s.destroy());
  return s;
}

describe("TCP", () => {
  it("power-cycles on each device connection and carries bytes both ways", async () => {
    const modem = new VirtualModem({ latencyMs: 1 });
    cleanups.push(() => modem.close());
    const server = await serveTcp(modem, { port: 0 });
    cleanups.push(() => server.close());
    const first = await dial(server.port);
    const read1 = reader(first);
    await read1("RDY\r\n");
    first.write("ATE0\r");
    expect(await read1("OK\r\n")).toBe("ATE0\r\r\nOK\r\n");
    const second = await dial(server.port);
    const read2 = reader(second);
    await read2("RDY\r\n");
    second.write("AT\r");
    expect(await read2("OK\r\n")).toBe("AT\r\r\nOK\r\n");
  });

  it("takes faults on the control port without touching the device line", async () => {
    const modem = new VirtualModem({ latencyMs: 1, rebootDelayMs: 5 });
    cleanups.push(() => modem.close());
    const device = await serveTcp(modem, { port: 0 });
    cleanups.push(() => device.close());
    const control = await serveControl(modem, { port: 0 });
    cleanups.push(() => control.close());
    const dev = await dial(device.port);
    const readDev = reader(dev);
    await readDev("RDY\r\n");
    const ctl = await dial(control.port);
    const readCtl = reader(ctl);
    ctl.write("reboot\nnonsense\n");
    expect(await readCtl("ERROR\n")).toBe("OK\nERROR\n");
    expect(await readDev("RDY\r\n")).toBe("\r\nRDY\r\n");
    expect(modem.log.lines).toEqual([]);
  });
});

describe("Duplex", () => {
  it("writes are device input, reads are modem output", async () => {
    const modem = new VirtualModem({});
    cleanups.push(() => modem.close());
    const stream = createModemStream(modem);
    cleanups.push(() => void stream.destroy());
    let out = "";
    stream.on("data", (b: Buffer) => (out += b.toString("latin1")));
    modem.start();
    await once(modem, "ready");
    stream.write("AT+CSQ\r");
    await new Promise((r) => setTimeout(r, 5));
    expect(out).toBe("\r\nRDY\r\nAT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
  });
});
