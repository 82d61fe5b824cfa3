import { world } from "./world.ts";

/** kWriteBufferSize of modules/io/serial/lin/serial.c. */
const WRITE_MAX = 1024;

/** Device paths the next `new Serial` cannot open (ENOENT: the pty's link is gone). */
export const absent = new Set<string>();

/**
 * The lin desktop driver (modules/io/serial/lin/serial.c): reads allocate, a write takes an
 * ArrayBuffer of at most 1024 bytes and throws "would overflow" while an earlier one is still
 * pending; on G_IO_ERR it calls onError (exceptions swallowed) and then closes the port, freeing
 * its state. Any call on a closed port dereferences that freed state: the simulator dies with
 * SIGSEGV. Here such a call is recorded in `world.crashes` and throws.
 */
export default class Serial {
  readonly options: Record<string, unknown>;
  readonly device: string;
  rx: number[] = [];
  /** Bytes of a write the pty did not take yet (the driver's writeCount). */
  pending = 0;
  readonly wire: number[] = [];
  closed = false;

  constructor(options: Record<string, unknown>) {
    if (typeof options["device"] !== "string") throw new Error("device required");
    this.device = options["device"];
    if (absent.has(this.device)) throw new Error("No such file or directory");
    this.options = options;
    world.serials.push(this);
  }

  private state(call: string): void {
    if (this.closed) {
      world.crashes.push(`${call} on closed ${this.device}`);
      throw new Error(`SIGSEGV: ${call} after close`);
    }
  }

  read(count?: number): ArrayBuffer | undefined {
    this.state("read");
    if (this.rx.length === 0) return undefined;
    const n = Math.min(count ?? this.rx.length, this.rx.length);
    return new Uint8Array(this.rx.splice(0, n)).buffer;
  }

  write(data: ArrayBuffer): void {
    this.state("write");
    if (!(data instanceof ArrayBuffer)) throw new TypeError("expected ArrayBuffer");
    if (data.byteLength > WRITE_MAX || this.pending > 0) throw new Error("would overflow");
    for (const b of new Uint8Array(data)) this.wire.push(b);
    this.pending = data.byteLength;
  }

  set(): void {
    this.state("set");
  }

  close(): void {
    this.state("close");
    this.closed = true;
  }

  // ---- test controls ----

  /** The modem sends `bytes`; onReadable runs with the count (its exceptions swallowed, as the driver's xsTry). */
  modemSends(bytes: Uint8Array): void {
    for (const b of bytes) this.rx.push(b);
    try {
      (this.options["onReadable"] as ((this: Serial, n: number) => void) | undefined)?.call(this, this.rx.length);
    } catch {
      // swallowed by the driver
    }
  }

  /** The pending write drained: onWritable(1024). */
  drained(): void {
    this.pending = 0;
    (this.options["onWritable"] as ((this: Serial, n: number) => void) | undefined)?.call(this, WRITE_MAX);
  }

  /** G_IO_ERR: onError, then the driver closes the port. */
  fail(): void {
    try {
      (this.options["onError"] as ((this: Serial) => void) | undefined)?.call(this);
    } catch {
      // swallowed by the driver
    }
    this.closed = true;
  }

  sent(): string {
    return String.fromCharCode(...this.wire);
  }
}
