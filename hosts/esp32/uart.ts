/**
 * ESP32 binding: `embedded:io/serial` <-> the AT engine, `timer` -> the engine's clock, optional
 * GPIOs on the modem's PWRKEY and RESET_N. Module `cellmqtt/host/uart` on esp32.
 *
 * The ESP32 serial driver has no software buffers. Input: `onReadable` drains the 128-byte RX
 * FIFO with `read(view)` into the engine's stage (no allocation). Output: `write()` takes a
 * whole view and throws "output full" rather than writing part of it, so the engine writes only
 * within the budget of the last `onWritable(count)`, and each write goes out as at most eight
 * power-of-two pieces: the piece is moved with `copyWithin` into a staging region of the
 * engine's own buffer that has one fixed view per size (1, 2, 4 ... 128), made at start-up.
 */
import type { ModemUart, ModemUartSettings, EngineTuning } from "cellmqtt/host/uart";
import type { TxPort } from "cellmqtt/at/port";
import { AtEngine } from "cellmqtt/at/engine";
import Serial from "embedded:io/serial";
import Digital from "embedded:io/digital";
import Timer from "timer";
import config from "mc/config";
import { TicksClock } from "../moddable-clock.ts";

/** To Moddable's trace; looked up when used, as tests outside Moddable may supply their own. */
function report(line: string): void {
  const trace = (globalThis as { trace?: (text: string) => void }).trace;
  if (typeof trace === "function") trace(line);
}

/**
 * What this binding uses of the ESP32 driver (modules/io/serial/esp32/serial.c): `read(view)`
 * fills the view from its start and returns the count (undefined when the FIFO is empty), and
 * `write(view)` takes the whole view or throws "output full".
 */
interface Esp32Port {
  read(into: Uint8Array): number | undefined;
  write(data: Uint8Array): void;
  close(): void;
}

/** Hardware FIFO size (RX and TX) of ESP32, -S2, -S3, -C3, -C6 UARTs. */
const FIFO = 128;
/** TX side: copies each power-of-two piece to the staging region and writes its fixed view. */
class StagedTx implements TxPort {
  private serial: Esp32Port | null = null;
  /** The engine's whole ArrayBuffer. */
  private whole: Uint8Array = new Uint8Array(0);
  /** Start of the staging region in `whole`. */
  private at = 0;
  /** pieces[k]: the view of 2^k bytes at `at`. */
  private readonly pieces: Uint8Array[] = [];

  /** `region`: FIFO bytes of the engine's buffer that nothing else uses. */
  attach(serial: Esp32Port, region: Uint8Array): void {
    this.whole = new Uint8Array(region.buffer);
    this.at = region.byteOffset;
    for (let size = 1; size <= FIFO; size <<= 1) this.pieces.push(new Uint8Array(region.buffer, this.at, size));
    this.serial = serial;
  }

  write(bytes: Uint8Array, offset: number, length: number): void {
    const serial = this.serial;
    if (serial === null) return;
    const whole = this.whole;
    const at = this.at;
    const same = bytes.buffer === whole.buffer;
    let from = offset;
    while (length > 0) {
      let k = 31 - Math.clz32(length);
      if (k > 7) k = 7;
      const size = 1 << k;
      if (same) whole.copyWithin(at, bytes.byteOffset + from, bytes.byteOffset + from + size);
      else for (let i = 0; i < size; i++) whole[at + i] = bytes[from + i]!;
      serial.write(this.pieces[k]!);
      from += size;
      length -= size;
    }
  }
}

function gpio(pin: number | undefined, activeLow: boolean | undefined): Digital | null {
  if (pin === undefined || pin < 0) return null;
  return new Digital({ pin, mode: Digital.Output, initialValue: activeLow ? 1 : 0 });
}

function pulse(line: Digital | null, activeLow: boolean | undefined, ms: number, done?: () => void): boolean {
  if (line === null) return false;
  line.write(activeLow ? 0 : 1);
  Timer.set(() => {
    line.write(activeLow ? 1 : 0);
    if (done) done();
  }, ms);
  return true;
}

function int(value: unknown, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  return Number.isInteger(n) ? n : fallback;
}

function flag(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "true";
}

export function configuredSettings(): ModemUartSettings {
  return {
    port: int(config["modemUart"], 2),
    receive: int(config["modemRx"], 16),
    transmit: int(config["modemTx"], 17),
    baud: int(config["modemBaud"], 115200),
    powerPin: int(config["modemPower"], -1),
    powerActiveLow: flag(config["modemPowerActiveLow"]),
    resetPin: int(config["modemReset"], -1),
    resetActiveLow: flag(config["modemResetActiveLow"]),
  };
}

export function openModemUart(settings: ModemUartSettings = configuredSettings(), tuning: EngineTuning = {}): ModemUart {
  const tx = new StagedTx();
  // The stage is twice the FIFO: the engine reads only [0, count) of it with count <= FIFO, so
  // the upper half is free for TX staging. Budget 0 until the driver's first onWritable.
  const clock = new TicksClock();
  const engine = new AtEngine({ ...tuning, tx, clock, stageSize: 2 * FIFO, txBudget: 0 });
  const stage = engine.rxStage;
  const rx = new Uint8Array(stage.buffer, stage.byteOffset, FIFO);
  const power = gpio(settings.powerPin, settings.powerActiveLow);
  const reset = gpio(settings.resetPin, settings.resetActiveLow);
  const serial: Esp32Port = new Serial({
    port: settings.port ?? 2,
    receive: settings.receive ?? 16,
    transmit: settings.transmit ?? 17,
    baud: settings.baud,
    onReadable() {
      // One read takes all the FIFO holds (the view is the FIFO's size). Only a full one may
      // have left bytes behind; after a short one the driver calls again when more arrive.
      // Whatever throws in the engine (the clients already catch the app's own throws) must not
      // abort the device or leave bytes in the FIFO: it is reported and the draining goes on.
      for (;;) {
        try {
          for (;;) {
            const n = serial.read(rx);
            if (n === undefined) return;
            engine.received(n);
            if (n < FIFO) return;
          }
        } catch (e) {
          report(`cellmqtt: modem input: ${String(e)}\n`);
        }
      }
    },
    onWritable(count) {
      engine.writable(count);
    },
  });
  tx.attach(serial, new Uint8Array(stage.buffer, stage.byteOffset + FIFO, FIFO));
  return {
    engine,
    clock,
    pulsePower: (ms, done) => pulse(power, settings.powerActiveLow, ms, done),
    pulseReset: (ms, done) => pulse(reset, settings.resetActiveLow, ms, done),
    close() {
      serial.close();
      power?.close();
      reset?.close();
    },
  };
}

openModemUart satisfies typeof import("cellmqtt/host/uart").openModemUart;
