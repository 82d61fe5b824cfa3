/**
 * Desktop simulator binding (Moddable lin, mac, win): `embedded:io/serial` on a device path (a
 * pty from socat, a USB modem's /dev/ttyUSB0) <-> the AT engine, `timer` -> the engine's clock.
 * Module `cellmqtt/host/uart` on lin/mac/win.
 *
 * The desktop driver allocates on every read and takes only ArrayBuffers of at most 1024 bytes
 * per write, throwing "would overflow" while an earlier write is still draining. Allocation is
 * fine here, so writes are copied into chunks that wait in a queue until the driver takes them.
 *
 * When the device fails (the pty's other end closed, the USB modem unplugged) the driver calls
 * `onError` and then closes the port itself: any later call on it crashes the simulator (the lin
 * driver has freed its state). So after an error the port is dropped at once, the loss is
 * reported (`onLost`), and the device is reopened with backoff; what the engine writes meanwhile
 * is dropped, as a modem that is gone would drop it.
 */
import type { ModemUart, ModemUartSettings, EngineTuning } from "cellmqtt/host/uart";
import type { AlarmTimer, TxPort } from "cellmqtt/at/port";
import { AtEngine } from "cellmqtt/at/engine";
import Serial from "embedded:io/serial";
import config from "mc/config";
import { TicksClock } from "../moddable-clock.ts";

/**
 * The desktop driver (modules/io/serial/lin/serial.c and its mac and win twins) takes a device
 * path instead of pins and reports device failures; the SDK's typings describe only the ECMA-419
 * form, so its contract is declared here and `Serial` used through it.
 */
interface DesktopSerialOptions {
  device: string;
  baud: number;
  onReadable?: (count: number) => void;
  /** Called with 1024 when a write may be issued: after start-up and after each write drained. */
  onWritable?: (count: number) => void;
  /** The device failed; the driver closes the port when this returns. */
  onError?: () => void;
}
interface DesktopSerial {
  /** A new ArrayBuffer with the bytes available; `undefined` when none. */
  read(): ArrayBuffer | undefined;
  /** At most 1024 bytes; throws "would overflow" while an earlier write is still pending. */
  write(data: ArrayBuffer): void;
  close(): void;
}
const DesktopSerialPort = Serial as unknown as new (options: DesktopSerialOptions) => DesktopSerial;

/** The most the desktop driver takes in one write. */
const CHUNK = 1024;
/** Reopen delays after a device failure: the first, doubling up to the last. */
const REOPEN_FIRST_MS = 500;
const REOPEN_MAX_MS = 30_000;
const clock = new TicksClock();

class QueuedTx implements TxPort {
  serial: DesktopSerial | null = null;
  private readonly queue: ArrayBuffer[] = [];

  write(bytes: Uint8Array, offset: number, length: number): void {
    if (this.serial === null) return;
    for (let at = offset, end = offset + length; at < end; at += CHUNK)
      this.queue.push(bytes.slice(at, Math.min(at + CHUNK, end)).buffer);
    this.flush();
  }

  /** Hands queued chunks to the driver until it refuses one; `onWritable` resumes. */
  flush(): void {
    const queue = this.queue;
    while (this.serial !== null && queue.length > 0) {
      try {
        this.serial.write(queue[0]!);
      } catch (e) {
        if (e instanceof Error && e.message === "would overflow") return;
        throw e;
      }
      queue.shift();
    }
  }

  /** The port is gone: nothing queued for it will be sent. */
  drop(): void {
    this.serial = null;
    this.queue.length = 0;
  }
}

export function configuredSettings(): ModemUartSettings {
  const device = config["modemDevice"];
  const baud = Number(config["modemBaud"] ?? 115200);
  return {
    device: typeof device === "string" && device !== "" ? device : "/tmp/cellmqtt-modem",
    baud: Number.isInteger(baud) && baud > 0 ? baud : 115200,
  };
}

class SimulatorUart implements ModemUart {
  readonly engine: AtEngine;
  readonly clock = clock;
  onLost: ((reason: string) => void) | null = null;
  onRestored: (() => void) | null = null;
  private readonly tx = new QueuedTx();
  private readonly reopenTimer: AlarmTimer;
  /** The next reopen delay: doubles on each failure, back to the first once the modem talks. */
  reopenMs = REOPEN_FIRST_MS;
  private closed = false;
  private readonly device: string;

  constructor(
    private readonly settings: ModemUartSettings,
    tuning: EngineTuning,
  ) {
    this.engine = new AtEngine({ ...tuning, tx: this.tx, clock });
    this.device = settings.device ?? "/tmp/cellmqtt-modem";
    this.reopenTimer = clock.timer(() => this.reopen());
    this.tx.serial = this.open();
  }

  pulsePower(): boolean {
    return false;
  }
  pulseReset(): boolean {
    return false;
  }

  close(): void {
    this.closed = true;
    this.reopenTimer.cancel();
    const serial = this.tx.serial;
    this.tx.drop();
    serial?.close();
  }

  private open(): DesktopSerial {
    const engine = this.engine;
    const tx = this.tx;
    const uart = this;
    const serial: DesktopSerial = new DesktopSerialPort({
      device: this.device,
      baud: this.settings.baud,
      onReadable() {
        if (tx.serial !== serial) return;
        uart.reopenMs = REOPEN_FIRST_MS;
        // Whatever throws below (the clients already catch the app's own throws) must not abort
        // the simulator or leave input unread: report it and go on reading.
        for (;;) {
          try {
            for (let data = serial.read(); data !== undefined; data = serial.read()) engine.receive(new Uint8Array(data));
            return;
          } catch (e) {
            trace(`cellmqtt: modem input: ${String(e)}\n`);
          }
        }
      },
      onWritable() {
        if (tx.serial === serial) tx.flush();
      },
      onError() {
        // The driver closes the port when this returns: never touch it again.
        if (tx.serial === serial) uart.lost("modem serial device failed");
      },
    });
    return serial;
  }

  private lost(reason: string): void {
    this.tx.drop();
    trace(`cellmqtt: ${reason}: ${this.device}; reopening in ${this.reopenMs} ms\n`);
    this.reopenTimer.schedule(this.reopenMs);
    this.reopenMs = Math.min(this.reopenMs * 2, REOPEN_MAX_MS);
    this.onLost?.(reason);
  }

  private reopen(): void {
    if (this.closed) return;
    try {
      this.tx.serial = this.open();
    } catch (e) {
      trace(`cellmqtt: cannot open ${this.device} (${e instanceof Error ? e.message : String(e)}); retrying in ${this.reopenMs} ms\n`);
      this.reopenTimer.schedule(this.reopenMs);
      this.reopenMs = Math.min(this.reopenMs * 2, REOPEN_MAX_MS);
      return;
    }
    trace(`cellmqtt: modem serial device reopened: ${this.device}\n`);
    this.onRestored?.();
  }
}

export function openModemUart(settings: ModemUartSettings = configuredSettings(), tuning: EngineTuning = {}): ModemUart {
  return new SimulatorUart(settings, tuning);
}

openModemUart satisfies typeof import("cellmqtt/host/uart").openModemUart;
