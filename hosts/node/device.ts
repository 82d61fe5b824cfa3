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

export interface DeviceEvents {
  /** A stream is open: the first, or a reopened one after a loss (`again`). */
  opened(stream: Duplex, again: boolean): void;
  /** The stream ended, closed or failed: reported at once, before any reopening. */
  lost(why: string): void;
  /** A reopen failed; the next try is in `retryMs`. */
  retrying(why: string, retryMs: number): void;
}

/**
 * Keeps the modem's byte stream open. A USB modem re-enumerates after a reset and a TCP peer can
 * go away: when the stream ends or errors that is reported at once, and the device is reopened
 * with a doubling delay (`minMs` to `maxMs`) until it answers again or `stop()` is called.
 */
export class DeviceKeeper {
  private stream: Duplex | null = null;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private stopped = false;

  constructor(
    private readonly open: () => Promise<Duplex>,
    private readonly events: DeviceEvents,
    private readonly minMs = 1000,
    private readonly maxMs = 30_000,
  ) {
    this.delay = minMs;
  }

  /** Opens the device the first time; a failure here is the caller's (nothing was running yet). */
  async start(): Promise<void> {
    this.watch(await this.open(), false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stream?.destroy();
    this.stream = null;
  }

  private watch(stream: Duplex, again: boolean): void {
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    let gone = false;
    const lose = (why: string): void => {
      if (gone || this.stream !== stream) return;
      gone = true;
      this.stream = null;
      stream.destroy();
      if (this.stopped) return;
      this.events.lost(why);
      this.retry(this.minMs);
    };
    stream.on("end", () => lose("ended (the device closed it)"));
    stream.on("error", (e: Error) => lose(`failed: ${e.message}`));
    stream.on("close", () => lose("closed"));
    this.delay = this.minMs;
    this.events.opened(stream, again);
  }

  private retry(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.open().then(
        (s) => this.watch(s, true),
        (e: unknown) => {
          if (this.stopped) return;
          this.delay = Math.min(this.maxMs, this.delay * 2);
          this.events.retrying(e instanceof Error ? e.message : String(e), this.delay);
          this.retry(this.delay);
        },
      );
    }, ms);
  }
}
