/**
 * The desktop simulator's host binding (hosts/simulator/uart.ts) built against a stand-in of the
 * SDK's lin serial driver: when the device fails the driver calls onError and closes the port,
 * and any later call on that port crashes the simulator. The binding must drop the port, report
 * the loss, drop what is written meanwhile and reopen the device with backoff.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildHost } from "./build-host.ts";

const standIns: Record<string, string> = {
  "embedded:io/serial": "serial-lin.ts",
  timer: "timer.ts",
  time: "time.ts",
  "mc/config": "config.ts",
};

interface FakeSerial {
  device: string;
  closed: boolean;
  pending: number;
  modemSends(bytes: Uint8Array): void;
  drained(): void;
  fail(): void;
  sent(): string;
}
interface Uart {
  engine: {
    command(owner: object, tag: number, key: number, ms: number): { raw(b: Uint8Array): unknown } | null;
    send(): boolean;
  };
  onLost?: ((reason: string) => void) | null;
  onRestored?: (() => void) | null;
  close(): void;
}
interface Built {
  openModemUart(settings?: object): Uart;
  ascii(s: string): Uint8Array;
  absent: Set<string>;
  world: { config: Record<string, unknown>; serials: unknown[]; crashes: string[]; reset(): void; advance(ms: number): void };
  RESULT_OK: number;
  RESULT_TIMEOUT: number;
}

let remove = (): void => {};
let host: Built;
const traces: string[] = [];

beforeAll(async () => {
  (globalThis as { trace?: (s: string) => void }).trace = (s: string) => traces.push(s);
  const built = await buildHost<Built>(
    [
      `export { openModemUart } from "./hosts/simulator/uart.ts";`,
      `export { ascii } from "./modules/at/bytes.ts";`,
      `export { RESULT_OK, RESULT_TIMEOUT } from "./modules/at/results.ts";`,
      `export { absent } from "./moddable/serial-lin.ts";`,
    ],
    standIns,
  );
  host = built.host;
  remove = built.remove;
});

afterAll(() => {
  remove();
  delete (globalThis as { trace?: unknown }).trace;
});

beforeEach(() => {
  host.world.reset();
  host.absent.clear();
  traces.length = 0;
});

function recorder() {
  const finals: [number, number][] = [];
  const owner = {
    onResponse: () => false,
    onFinal(tag: number, result: number) {
      finals.push([tag, result]);
    },
  };
  return { owner, finals };
}

function at(uart: Uart, owner: object, tag: number, ms = 1000): void {
  const e = uart.engine.command(owner, tag, -1, ms)!;
  e.raw(host.ascii("AT"));
  uart.engine.send();
}

const serials = (): FakeSerial[] => host.world.serials as FakeSerial[];

function open() {
  const uart = host.openModemUart({ device: "/tmp/modem-pty", baud: 115200 });
  const lost: string[] = [];
  let restored = 0;
  uart.onLost = (reason) => lost.push(reason);
  uart.onRestored = () => restored++;
  return { uart, lost, restored: () => restored };
}

describe("simulator host", () => {
  it("talks to the device: writes commands, feeds answers to the engine", () => {
    const { uart } = open();
    const rec = recorder();
    at(uart, rec.owner, 1);
    const serial = serials()[0]!;
    expect(serial.device).toBe("/tmp/modem-pty");
    expect(serial.sent()).toBe("AT\r");
    serial.modemSends(host.ascii("\r\nOK\r\n"));
    expect(rec.finals).toEqual([[1, host.RESULT_OK]]);
  });

  it("never touches a port the driver closed after an error: reports the loss, drops writes, reopens", () => {
    const { uart, lost, restored } = open();
    const rec = recorder();
    const first = serials()[0]!;
    at(uart, rec.owner, 1);
    first.fail();
    expect(lost).toEqual(["modem serial device failed"]);
    expect(traces.join("")).toContain("modem serial device failed: /tmp/modem-pty; reopening in 500 ms");
    // The engine goes on (the command in flight times out; the modem layer resyncs).
    host.world.advance(1000);
    expect(rec.finals).toEqual([[1, host.RESULT_TIMEOUT]]);
    at(uart, rec.owner, 2);
    first.drained(); // a late onWritable from the old port
    expect(host.world.crashes).toEqual([]);
    expect(serials().length).toBe(2);
    expect(restored()).toBe(1);
    expect(traces.join("")).toContain("modem serial device reopened: /tmp/modem-pty");
    const second = serials()[1]!;
    host.world.advance(1000);
    // The engine proves the line is in step again (it gave a command up), then sends the next.
    expect(second.sent()).toBe("AT+CSQ=?\r");
    second.drained();
    second.modemSends(host.ascii("\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n"));
    host.world.advance(1000);
    // Command 2, made while the device was gone, waited in the engine's queue.
    expect(second.sent()).toBe("AT+CSQ=?\rAT\r");
    second.drained();
    second.modemSends(host.ascii("\r\nOK\r\n"));
    expect(rec.finals.at(-1)).toEqual([2, host.RESULT_OK]);
    at(uart, rec.owner, 3);
    expect(second.sent()).toBe("AT+CSQ=?\rAT\rAT\r");
    second.modemSends(host.ascii("\r\nOK\r\n"));
    expect(rec.finals.at(-1)).toEqual([3, host.RESULT_OK]);
    expect(first.sent()).toBe("AT\r");
    expect(host.world.crashes).toEqual([]);
  });

  it("retries a device that cannot be opened with doubling delays up to 30 s, and starts over once the modem talks", () => {
    const { uart, lost, restored } = open();
    host.absent.add("/tmp/modem-pty");
    serials()[0]!.fail();
    const opened = () => serials().length;
    const attempts: number[] = [];
    let t = 0;
    for (; t < 120_000; t += 10) {
      const before = traces.length;
      host.world.advance(10);
      if (traces.slice(before).some((l) => l.includes("cannot open"))) attempts.push(t + 10);
    }
    const gaps = attempts.map((a, i) => a - (i ? attempts[i - 1]! : 0));
    expect(gaps.slice(0, 7)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000]);
    expect(opened()).toBe(1);
    host.absent.delete("/tmp/modem-pty");
    host.world.advance(30_000);
    expect(opened()).toBe(2);
    expect(restored()).toBe(1);
    // Bytes from the modem reset the backoff: the next loss reopens after 500 ms again.
    serials()[1]!.modemSends(host.ascii("\r\nRDY\r\n"));
    serials()[1]!.fail();
    host.world.advance(500);
    expect(opened()).toBe(3);
    expect(lost.length).toBe(2);
    expect(host.world.crashes).toEqual([]);
    uart.close();
  });

  it("a device that fails again before it says anything backs off instead of spinning", () => {
    open();
    serials()[0]!.fail();
    host.world.advance(500);
    serials()[1]!.fail();
    host.world.advance(999);
    expect(serials().length).toBe(2);
    host.world.advance(1);
    expect(serials().length).toBe(3);
  });

  it("close() closes the port once and stops reopening", () => {
    const { uart } = open();
    serials()[0]!.fail();
    uart.close();
    host.world.advance(60_000);
    expect(serials().length).toBe(1);
    const { uart: other } = open();
    other.close();
    expect(serials()[1]!.closed).toBe(true);
    expect(host.world.crashes).toEqual([]);
  });
});
