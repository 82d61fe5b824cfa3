import type { Duplex } from "node:stream";
import { AtEngine, type AtEngineOptions } from "cellmqtt/at/engine";
import type { TxPort } from "cellmqtt/at/port";
import { NodeClock } from "./clock.ts";

/**
 * The engine on a Node byte stream: a serial port, a TCP socket to the modem emulator, a pty,
 * or the emulator's in-process stream. Streams buffer output themselves, so there is no budget.
 */
export class StreamUart implements TxPort {
  readonly clock = new NodeClock();
  readonly engine: AtEngine;
  /** Bytes each way, for throughput figures. */
  bytesIn = 0;
  bytesOut = 0;
  private readonly onData = (chunk: Buffer): void => {
    this.bytesIn += chunk.length;
    this.engine.receive(chunk);
  };

  constructor(
    private readonly stream: Duplex,
    options: Partial<Omit<AtEngineOptions, "tx" | "clock">> = {},
  ) {
    this.engine = new AtEngine({ ...options, tx: this, clock: this.clock });
    stream.on("data", this.onData);
  }

  write(bytes: Uint8Array, offset: number, length: number): void {
    this.bytesOut += length;
    // The engine reuses its buffer: the stream gets a copy.
    if (!this.stream.destroyed) this.stream.write(Buffer.from(bytes.subarray(offset, offset + length)));
  }

  close(): void {
    this.stream.off("data", this.onData);
    this.clock.stop();
  }
}
