/**
 * Receive buffer: a fixed region of the engine's one ArrayBuffer holding the bytes not yet
 * consumed, [head, tail). It is a ring that compacts instead of wrapping: the scanner moves the
 * live bytes back to the region's start with one native `copyWithin` when new input would not
 * fit after them, or once the region is half used (an empty ring just starts over). Every line
 * therefore stays contiguous, so the scanner and the field parser never handle a line split
 * across a wrap point. Compaction moves only the unfinished line, which is short, so it costs
 * less than wrap-around bookkeeping on every byte.
 *
 * Plain fields, read and written in place by the engine and the scanner (which holds them): a
 * getter or method call per read would cost more than the work it wraps.
 */
export interface ByteRing {
  /** Start of the live bytes. */
  head: number;
  /** End of the live bytes (exclusive). */
  tail: number;
  readonly bytes: Uint8Array;
  /** Region start in `bytes` (a multiple of 4, so word views align). */
  readonly base: number;
  readonly capacity: number;
}
