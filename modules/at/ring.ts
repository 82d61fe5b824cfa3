/**
 * Receive buffer: a fixed region of the engine's one ArrayBuffer holding the bytes not yet
 * consumed, [head, tail). It is a ring that compacts instead of wrapping: before new input
 * joins, the engine moves the live bytes back to the region's start with one native
 * `copyWithin`. Every line therefore stays contiguous, so the scanner and the field parser
 * never handle a line split across the wrap point. Compaction moves only the unfinished line,
 * which is short, so it costs less than wrap-around bookkeeping on every byte.
 *
 * A plain record, read and written in place by the engine and the scanner: a getter or method
 * call per read would cost more than the work it wraps.
 */
export class ByteRing {
  /** Start of the live bytes. */
  head: number;
  /** End of the live bytes (exclusive). */
  tail: number;
  readonly bytes: Uint8Array;
  /** Region start in `bytes` (a multiple of 4, so word views align). */
  readonly base: number;
  readonly capacity: number;

  constructor(bytes: Uint8Array, base: number, capacity: number) {
    this.head = base;
    this.tail = base;
    this.bytes = bytes;
    this.base = base;
    this.capacity = capacity;
  }
}
