/**
 * The ESP32 host binding (hosts/esp32/uart.ts) built against stand-ins for the Moddable modules
 * that follow the SDK's C semantics: a 128-byte TX FIFO whose write() throws "output full"
 * rather than writing part of a buffer, read(buffer) returning undefined on an empty FIFO,
 * one-shot timers destroyed after firing, Time.ticks as a wrapping int32.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildHost } from "./build-host.ts";

const standIns: Record<string, string> = {
  "embedded:io/serial": "serial-esp32.ts",
  "embedded:io/digital": "digital.ts",
  timer: "timer.ts",
  time: "time.ts",
  "mc/config": "config.ts",
};

interface Owner {
  onResponse(tag: number, key: number, bytes: Uint8Array, body: number, end: number): boolean;
  onFinal(tag: number, result: number, code: number): void;
}
interface FakeSerial {
  options: Record<string, unknown>;
  wire: number[];
  writes: number[];
  txFifo: number;
  modemSends(bytes: Uint8Array): void;
  txDrained(): void;
  sent(): string;
}
interface Built {
  openModemUart(settings?: object, tuning?: object): {
    engine: {
      rxStage: Uint8Array;
      token(name: string): number;
      command(owner: Owner, tag: number, key: number, ms: number): { raw(b: Uint8Array): unknown; quoted(s: string): unknown } | null;
      send(): boolean;
    };
    pulsePower(ms: number, done?: () => void): boolean;
    pulseReset(ms: number, done?: () => void): boolean;
  };
  configuredSettings(): Record<string, unknown>;
  ascii(s: string): Uint8Array;
  world: {
    ms: number;
    bootOffset: number;
    config: Record<string, unknown>;
    serials: unknown[];
    pins: Map<number, number[]>;
    reset(): void;
    advance(ms: number): void;
  };
  RESULT_OK: number;
  RESULT_TIMEOUT: number;
}

let remove = (): void => {};
let host: Built;

beforeAll(async () => {
  const built = await buildHost<Built>(
    [
      `export { openModemUart, configuredSettings } from "./hosts/esp32/uart.ts";`,
      `export { ascii } from "./modules/at/bytes.ts";`,
      `export { RESULT_OK, RESULT_TIMEOUT } from "./modules/at/results.ts";`,
    ],
    standIns,
  );
  host = built.host;
  remove = built.remove;
});

afterAll(() => {
  remove();
});

beforeEach(() => host.world.reset());

/** The answer to the engine's sync command, `AT+CSQ=?`. */
const SYNC_ANSWER = "\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n";

function recorder() {
  const finals: [number, number, number][] = [];
  const responses: string[] = [];
  const owner: Owner = {
    onResponse(_tag, key, bytes, body, end) {
      if (key < 0) return false;
      responses.push(String.fromCharCode(...bytes.subarray(body, end)));
      return true;
    },
    onFinal(tag, result, code) {
      finals.push([tag, result, code]);
    },
  };
  return { owner, finals, responses };
}

function open(settings?: object, tuning?: object) {
  const uart = host.openModemUart(settings, tuning);
  const serial = host.world.serials.at(-1) as FakeSerial;
  return { uart, engine: uart.engine, serial };
}

describe("ESP32 host", () => {
  it("opens the configured UART with numbers only (the driver rejects undefined pins)", () => {
    Object.assign(host.world.config, { modemUart: "1", modemRx: 26, modemTx: "27", modemBaud: 921600 });
    const { serial } = open();
    expect(serial.options).toMatchObject({ port: 1, receive: 26, transmit: 27, baud: 921600 });
    expect(host.configuredSettings()).toMatchObject({ powerPin: -1, resetPin: -1, powerActiveLow: false });
  });

  it("writes nothing before the driver grants TX space, then only within it, in power-of-two pieces", () => {
    const { engine, serial } = open();
    const rec = recorder();
    const key = engine.token("+MQTTPUB");
    const payload = "x".repeat(300);
    const e = engine.command(rec.owner, 7, key, 5000)!;
    e.raw(host.ascii("AT+MQTTPUB=1,"));
    e.quoted(payload);
    expect(engine.send()).toBe(true);
    expect(serial.wire.length).toBe(0);
    const expected = `AT+MQTTPUB=1,"${payload}"\r`;
    while (serial.wire.length < expected.length) {
      const before = serial.wire.length;
      serial.txDrained();
      expect(serial.wire.length).toBeGreaterThan(before);
      expect(serial.txFifo).toBeLessThanOrEqual(128);
    }
    expect(serial.sent()).toBe(expected);
    for (const n of serial.writes) expect(n & (n - 1)).toBe(0);
    serial.modemSends(host.ascii("\r\nOK\r\n"));
    expect(rec.finals).toEqual([[7, host.RESULT_OK, -1]]);
  });

  it("drains input that arrives in FIFO-sized bursts and answers while bytes are staged", () => {
    const { engine, serial } = open();
    serial.txDrained();
    const rec = recorder();
    const key = engine.token("+CSQ");
    for (let tag = 0; tag < 3; tag++) {
      const e = engine.command(rec.owner, tag, key, 1000)!;
      e.raw(host.ascii("AT+CSQ"));
      engine.send();
    }
    // One long burst: three answers, each completion sends the next command from inside
    // received(), while later input still waits in the stage and the FIFO.
    const noise = "\r\n+CREG: 1\r\n".repeat(12);
    serial.modemSends(host.ascii(`${noise}\r\n+CSQ: 21,99\r\n\r\nOK\r\n`));
    serial.txDrained();
    serial.modemSends(host.ascii(`\r\n+CSQ: 22,99\r\n\r\nOK\r\n\r\n+CSQ: 23,99\r\n\r\nOK\r\n`));
    expect(rec.responses).toEqual(["21,99", "22,99", "23,99"]);
    expect(rec.finals.map((f) => f[1])).toEqual([host.RESULT_OK, host.RESULT_OK, host.RESULT_OK]);
    expect(serial.sent()).toBe("AT+CSQ\r".repeat(3));
  });

  it("stages output apart from input the engine has not taken yet", () => {
    // A ring smaller than one FIFO read: received() takes the stage in pieces, and a command
    // written between two pieces must not overwrite the rest.
    const { engine, serial } = open(undefined, { rxCapacity: 32 });
    serial.txDrained();
    const rec = recorder();
    const key = engine.token("+CSQ");
    const long = "AT+CSQ" + "=".repeat(90);
    for (const [tag, text] of [[1, "AT"], [2, long]] as const) {
      const e = engine.command(rec.owner, tag, key, 1000)!;
      e.raw(host.ascii(text));
      engine.send();
    }
    serial.modemSends(host.ascii("\r\nOK\r\n" + "\r\n+CREG: 1\r\n".repeat(3) + "\r\n+CSQ: 21,99\r\n\r\nOK\r\n"));
    expect(serial.sent()).toBe(`AT\r${long}\r`);
    expect(rec.responses).toEqual(["21,99"]);
    expect(rec.finals).toEqual([
      [1, host.RESULT_OK, -1],
      [2, host.RESULT_OK, -1],
    ]);
  });

  it("keeps one timer alive across timeouts, re-arms and cancels", () => {
    const { engine, serial } = open();
    serial.txDrained();
    const rec = recorder();
    const send = (tag: number) => {
      const e = engine.command(rec.owner, tag, -1, 300)!;
      e.raw(host.ascii("AT"));
      engine.send();
      serial.txDrained();
    };
    send(1);
    host.world.advance(299);
    expect(rec.finals).toEqual([]);
    host.world.advance(1);
    expect(rec.finals).toEqual([[1, host.RESULT_TIMEOUT, -1]]);
    send(2); // the timer fired once; a destroyed timer would throw here
    // Command 2 waits until the line is quiet and a sync is answered (the engine's resync).
    host.world.advance(500);
    serial.txDrained();
    serial.modemSends(host.ascii(SYNC_ANSWER));
    host.world.advance(500);
    serial.txDrained();
    host.world.advance(100);
    serial.modemSends(host.ascii("\r\nOK\r\n"));
    host.world.advance(10_000);
    send(3);
    host.world.advance(300);
    expect(rec.finals).toEqual([
      [1, host.RESULT_TIMEOUT, -1],
      [2, host.RESULT_OK, -1],
      [3, host.RESULT_TIMEOUT, -1],
    ]);
  });

  it("re-arms the timer from inside its own callback (a queued command starts on a timeout)", () => {
    const { engine, serial } = open();
    serial.txDrained();
    const rec = recorder();
    for (const tag of [1, 2, 3]) {
      const e = engine.command(rec.owner, tag, -1, 500)!;
      e.raw(host.ascii("AT"));
      engine.send();
    }
    for (let i = 0; i < 3; i++) {
      host.world.advance(500);
      serial.txDrained();
      // After each timeout: quiet, the sync, its answer, quiet again; the next command starts
      // from inside the timer's callback.
      host.world.advance(500);
      serial.txDrained();
      serial.modemSends(host.ascii(SYNC_ANSWER));
      host.world.advance(500);
      serial.txDrained();
    }
    expect(rec.finals).toEqual([
      [1, host.RESULT_TIMEOUT, -1],
      [2, host.RESULT_TIMEOUT, -1],
      [3, host.RESULT_TIMEOUT, -1],
    ]);
  });

  it("measures time across the int32 wrap of Time.ticks", () => {
    host.world.bootOffset = 2 ** 31 - 50; // ~24.8 days up: ticks turn negative in 50 ms
    const { engine, serial } = open();
    serial.txDrained();
    const rec = recorder();
    const e = engine.command(rec.owner, 1, -1, 200)!;
    e.raw(host.ascii("AT"));
    engine.send();
    host.world.advance(199);
    expect(rec.finals).toEqual([]);
    host.world.advance(1);
    expect(rec.finals).toEqual([[1, host.RESULT_TIMEOUT, -1]]);
  });

  it("pulses PWRKEY and RESET_N when pins are configured", () => {
    const { uart } = open({ baud: 115200, port: 2, receive: 16, transmit: 17, powerPin: 4, resetPin: 5, resetActiveLow: true });
    let done = 0;
    expect(uart.pulsePower(1000, () => done++)).toBe(true);
    expect(uart.pulseReset(200)).toBe(true);
    host.world.advance(999);
    expect(host.world.pins.get(4)).toEqual([0, 1]);
    host.world.advance(1);
    expect(host.world.pins.get(4)).toEqual([0, 1, 0]);
    expect(host.world.pins.get(5)).toEqual([1, 0, 1]);
    expect(done).toBe(1);
    expect(open({ baud: 115200 }).uart.pulsePower(1000)).toBe(false);
  });
});
