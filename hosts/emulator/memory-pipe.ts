/**
 * Two connected in-memory byte streams, a socket without the network: what one side writes the
 * other reads. The soak bridges the emulator to an in-process broker through these, and counts
 * every write so its driver knows when the broker's side has gone quiet.
 */
import { Duplex } from "node:stream";

export interface MemoryPipe {
  readonly a: Duplex;
  readonly b: Duplex;
}

export function memoryPipe(onWrite: () => void = () => {}): MemoryPipe {
  const sides: Duplex[] = [];
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        onWrite();
        const other = peer();
        if (!other.destroyed) other.push(chunk);
        callback();
      },
      final(callback) {
        const other = peer();
        if (!other.destroyed) other.push(null);
        callback();
      },
      destroy(err, callback) {
        // An abrupt end on one side is a dead socket for the other: it closes without a word.
        const other = peer();
        if (!other.destroyed) other.destroy();
        callback(err);
      },
    });
  sides.push(make(() => sides[1]!), make(() => sides[0]!));
  return { a: sides[0]!, b: sides[1]! };
}
