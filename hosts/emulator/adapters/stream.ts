/** In-process adapter: the modem as a Node Duplex stream, or wired to an existing one. */
import { Duplex } from "node:stream";
import type { VirtualModem } from "../modem.ts";

export type ModemStream = Duplex;

/**
 * Wires an existing duplex (a socket, a serial port) to the modem: what the stream yields is
 * device input, modem output is written to it. Returns a function that undoes the wiring.
 */
export function attachStream(modem: VirtualModem, stream: Duplex): () => void {
  const onData = (chunk: Buffer): void => modem.input(chunk);
  const onOutput = (bytes: Uint8Array): void => {
    if (!stream.destroyed && stream.writable) stream.write(bytes);
  };
  stream.on("data", onData);
  modem.on("output", onOutput);
  return () => {
    stream.off("data", onData);
    modem.off("output", onOutput);
  };
}

/**
 * A Duplex that is the device's end of the UART: `write()` is what the MCU sends, `data` events
 * are what the modem answers.
 */
export function createModemStream(modem: VirtualModem): ModemStream {
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      modem.input(chunk);
      callback();
    },
  });
  // Like a UART, the answer reaches the device after the write that caused it has returned,
  // never inside it: delivered in order from a microtask. Pushed synchronously, a whole
  // +MQTTREAD record would arrive while the device is still inside its own write call.
  const onOutput = (bytes: Uint8Array): void => {
    const chunk = Buffer.from(bytes);
    queueMicrotask(() => {
      if (!stream.destroyed) stream.push(chunk);
    });
  };
  modem.on("output", onOutput);
  stream.on("close", () => modem.off("output", onOutput));
  return stream;
}
