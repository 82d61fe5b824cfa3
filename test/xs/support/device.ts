/**
 * The firmware as a device runs it, inside XS: the ESP32 host binding (hosts/esp32/uart.ts) over
 * the stand-ins of Moddable's serial, timer and time modules, with a scripted modem behind the
 * serial port. The modem's bytes reach the engine the way the driver delivers them, through the
 * binding's `onReadable`, 128 bytes (one FIFO) at a time; what the firmware writes goes out
 * through the binding's `serial.write`. Time moves only when the test says so (the stand-in
 * timers run in due order), in 5 ms steps.
 *
 * As on a device, each delivery starts near the bottom of the stack: `run` and `until` are
 * async, and the modem's bytes of each step are handed to `onReadable` from a promise job of
 * their own after the step's timers ran, not from inside the test's loops. Each delivery
 * records how deep the stack went below the driver's call into `onReadable`, so a test can hold
 * the library to a stack budget, and a run with a device's `creation.stack` means what it says.
 */
import { CellularModem, type ModemOptions } from "cellmqtt/modem/modem";
import { openModemUart } from "../../../hosts/esp32/uart.ts";
import type { ModemUart } from "cellmqtt/host/uart";
import Serial from "../../firmware/moddable/serial-esp32.ts";
import { world } from "../../firmware/moddable/world.ts";
import { FakeModem, seeded } from "../../support/fake-modem.ts";
import type { FakeClock } from "../../support/fake-clock.ts";
import { STACK, STACK_PEAK, counters, host } from "../harness.ts";

const stackNow = counters();

export class Device {
  readonly uart: ModemUart;
  readonly serial: Serial;
  readonly fake: FakeModem;
  readonly modem: CellularModem;
  readonly logs: string[] = [];
  /** The deepest stack (slots below the driver's call) of any delivery so far. */
  deepest = 0;
  /** Deliveries so far (each a FIFO-full or less: one `onReadable` call). */
  deliveries = 0;
  private forwarded = 0;
  /** What the modem sent during the current step, delivered once the step's timers ran. */
  private readonly sent: Uint8Array[] = [];

  constructor(options: ModemOptions = {}) {
    world.reset();
    this.uart = openModemUart({ port: 2, receive: 16, transmit: 17, baud: 115200 });
    this.serial = world.serials[world.serials.length - 1] as Serial;
    // The modem's replies are timed by the same clock as the firmware's (the stand-in timers).
    this.fake = new FakeModem(this.uart.clock as unknown as FakeClock);
    this.fake.attach((bytes) => void this.sent.push(bytes));
    this.modem = new CellularModem(this.uart.engine, this.uart.clock, {
      random: seeded(3),
      log: (line) => void this.logs.push(line),
      ...options,
    });
  }

  /** The driver reports the bytes: `onReadable` runs once per FIFO-full. */
  private deliver(bytes: Uint8Array): void {
    host.xsCounters(stackNow);
    const base = stackNow[STACK]!;
    host.xsResetStackPeak();
    this.deliveries++;
    this.serial.modemSends(bytes);
    host.xsCounters(stackNow);
    const depth = stackNow[STACK_PEAK]! - base;
    if (depth > this.deepest) this.deepest = depth;
  }

  /** Bytes the modem sends besides its scripted answers: one delivery, in the next step. */
  modemSends(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }

  /** Hands what the firmware wrote to the modem, and lets the TX FIFO drain (`onWritable`). */
  private pump(): void {
    const wire = this.serial.wire;
    if (wire.length > this.forwarded) {
      const bytes = new Uint8Array(wire.slice(this.forwarded));
      this.forwarded = wire.length;
      this.fake.write(bytes, 0, bytes.length);
    }
    this.serial.txDrained();
  }

  /** Runs `ms` of time in 5 ms steps. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 5) await this.step();
  }

  /** Runs until `done()` or `maxMs`; resolves to whether it held. */
  async until(done: () => boolean, maxMs = 120_000): Promise<boolean> {
    for (let t = 0; t <= maxMs && !done(); t += 5) await this.step();
    return done();
  }

  private async step(): Promise<void> {
    this.pump();
    world.advance(5);
    for (let i = 0; i < this.sent.length; i++) {
      await null; // each delivery from a job of its own: the stack holds no test frames
      this.deliver(this.sent[i]!);
    }
    this.sent.length = 0;
    this.pump();
  }
}
