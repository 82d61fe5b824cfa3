import { world } from "./world.ts";

const FIFO = 128;
type View = ArrayBuffer | ArrayBufferView;

function bytesOf(v: View): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** The ESP32 driver: no software buffers, a 128-byte FIFO each way, no partial writes. */
export default class Serial {
  readonly options: Record<string, unknown>;
  /** Bytes the modem sent that wait in the RX FIFO. */
  rxFifo: number[] = [];
  /** Bytes queued in the TX FIFO, not yet on the wire. */
  txFifo = 0;
  /** Everything written, and the size of each write() call. */
  readonly wire: number[] = [];
  readonly writes: number[] = [];
  closed = false;

  constructor(options: Record<string, unknown>) {
    if (typeof options["baud"] !== "number") throw new RangeError("invalid baud");
    if (!("receive" in options) && !("transmit" in options)) throw new Error("invalid");
    for (const pin of ["receive", "transmit", "port"])
      if (pin in options && typeof options[pin] !== "number") throw new TypeError(`${pin} not a number`);
    this.options = options;
    world.serials.push(this);
  }

  read(arg?: number | View): ArrayBuffer | number | undefined {
    const available = this.rxFifo.length;
    if (available === 0) return undefined;
    if (arg !== undefined && typeof arg !== "number") {
      const into = bytesOf(arg);
      const n = Math.min(into.length, available);
      for (let i = 0; i < n; i++) into[i] = this.rxFifo.shift()!;
      return n;
    }
    const n = Math.min(arg ?? available, available);
    return new Uint8Array(this.rxFifo.splice(0, n)).buffer;
  }

  write(data: View): void {
    const bytes = bytesOf(data);
    if (bytes.length > FIFO - this.txFifo) throw new Error("output full");
    this.txFifo += bytes.length;
    this.writes.push(bytes.length);
    for (const b of bytes) this.wire.push(b);
  }

  close(): void {
    this.closed = true;
  }

  // ---- test controls ----

  /** The modem sends `bytes`: they fill the RX FIFO (<= 128), then onReadable runs. */
  modemSends(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; ) {
      while (i < bytes.length && this.rxFifo.length < FIFO) this.rxFifo.push(bytes[i++]!);
      const onReadable = this.options["onReadable"] as (this: Serial, count: number) => void;
      onReadable.call(this, this.rxFifo.length);
      if (this.rxFifo.length === FIFO) throw new Error("RX FIFO overflow: not drained");
    }
  }

  /** The TX FIFO drains to empty; the driver reports the free space. */
  txDrained(): void {
    this.txFifo = 0;
    const onWritable = this.options["onWritable"] as (this: Serial, count: number) => void;
    onWritable.call(this, FIFO);
  }

  /** What went out on the wire so far, as text. */
  sent(): string {
    return String.fromCharCode(...this.wire);
  }
}
