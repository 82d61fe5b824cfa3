import type { Duplex } from "node:stream";
import { AtEngine, type AtEngineOptions } from "cellmqtt/at/engine";
import type { TxPort } from "cellmqtt/at/port";
import { NodeClock } from "./clock.ts";

/**
 * The engine on a Node byte stream: a serial port, a TCP socket to the modem emulator, a pty,
 * or the emulator's in-process stream. Streams buffer output themselves, so there is no budget.
 * The stream can be swapped (`attach`) when a lost device is reopened: the engine and the
 * modem's state stay, and the modem's own recovery (resync, `RDY`) takes it from there.
 */
export class StreamUart implements TxPort {
  readonly clock = new NodeClock();
  readonly engine: AtEngine;
  /** Bytes each way, for throughput figures. */
  bytesIn = 0;
  bytesOut = 0;
  /** Sees every chunk each way, as it passes (`cellmqtt --trace`); the bytes are not to be kept. */
  trace: ((direction: "in" | "out", bytes: Uint8Array) => void) | null = null;
  private stream: Duplex | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.bytesIn += chunk.length;
    this.trace?.("in", chunk);
    this.engine.receive(chunk);
  };

  constructor(stream: Duplex | null, options: Partial<Omit<AtEngineOptions, "tx" | "clock">> = {}) {
    this.engine = new AtEngine({ ...options, tx: this, clock: this.clock });
    if (stream) this.attach(stream);
  }

  /** Reads from and writes to `stream` from now on; null detaches (writes are dropped meanwhile). */
  attach(stream: Duplex | null): void {
    this.stream?.off("data", this.onData);
    this.stream = stream;
    stream?.on("data", this.onData);
  }

  write(bytes: Uint8Array, offset: number, length: number): void {
    this.bytesOut += length;
    this.trace?.("out", bytes.subarray(offset, offset + length));
    // The engine reuses its buffer: the stream gets a copy.
    const s = this.stream;
    if (s && !s.destroyed && s.writable) s.write(Buffer.from(bytes.subarray(offset, offset + length)));
  }

  close(): void {
    this.attach(null);
    this.clock.stop();
  }
}
