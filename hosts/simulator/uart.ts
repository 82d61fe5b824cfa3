/**
 * Desktop simulator binding (Moddable lin, mac, win): `embedded:io/serial` on a device path (a
 * pty from socat, a USB modem's /dev/ttyUSB0) <-> the AT engine, `timer` -> the engine's clock.
 * Module `cellmqtt/host/uart` on lin/mac/win.
 *
 * The desktop driver allocates on every read and takes only ArrayBuffers of at most 1024 bytes
 * per write, throwing "would overflow" while an earlier write is still draining. Allocation is
 * fine here, so writes are copied into chunks that wait in a queue until the driver takes them.
 */
import type { ModemUart, ModemUartSettings, EngineTuning } from "cellmqtt/host/uart";
import type { TxPort } from "cellmqtt/at/port";
import { AtEngine } from "cellmqtt/at/engine";
import Serial from "embedded:io/serial";
import type { DesktopSerial } from "embedded:io/serial";
import config from "mc/config";
import { TicksClock } from "../moddable-clock.ts";

/** The most the desktop driver takes in one write. */
const CHUNK = 1024;
const clock = new TicksClock();

class QueuedTx implements TxPort {
  serial: DesktopSerial | null = null;
  private readonly queue: ArrayBuffer[] = [];

  write(bytes: Uint8Array, offset: number, length: number): void {
    for (let at = offset, end = offset + length; at < end; at += CHUNK)
      this.queue.push(bytes.slice(at, Math.min(at + CHUNK, end)).buffer);
    this.flush();
  }

  /** Hands queued chunks to the driver until it refuses one; `onWritable` resumes. */
  flush(): void {
    const serial = this.serial;
    const queue = this.queue;
    while (serial !== null && queue.length > 0) {
      try {
        serial.write(queue[0]!);
      } catch (e) {
        if (e instanceof Error && e.message === "would overflow") return;
        throw e;
      }
      queue.shift();
    }
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

export function openModemUart(settings: ModemUartSettings = configuredSettings(), tuning: EngineTuning = {}): ModemUart {
  const tx = new QueuedTx();
  const engine = new AtEngine({ ...tuning, tx, clock });
  const serial = new Serial({
    device: settings.device ?? "/tmp/cellmqtt-modem",
    baud: settings.baud,
    onReadable() {
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
      tx.flush();
    },
    onError() {
      trace("cellmqtt: modem serial device failed\n");
    },
  });
  tx.serial = serial;
  return {
    engine,
    clock,
    pulsePower: () => false,
    pulseReset: () => false,
    close() {
      tx.serial = null;
      serial.close();
    },
  };
}

openModemUart satisfies typeof import("cellmqtt/host/uart").openModemUart;
