/**
 * Receive buffer: a fixed region of the engine's one ArrayBuffer holding the bytes not yet
 * consumed, [head, tail). It is a ring that compacts instead of wrapping: when the free space
 * at the end runs out, the live bytes move back to the region's start with one native
 * `copyWithin`. Every line therefore stays contiguous, so the scanner and the field parser
 * never handle a line split across the wrap point. Compaction moves only the unfinished line,
 * which is short, so it costs less than wrap-around bookkeeping on every byte.
 */
export class ByteRing {
  /** Start of the live bytes. */
  head: number;
  /** End of the live bytes (exclusive). */
  tail: number;

  constructor(
    readonly bytes: Uint8Array,
    /** Region start in `bytes` (a multiple of 4, so word views align). */
    readonly base: number,
    readonly capacity: number,
  ) {
    this.head = base;
    this.tail = base;
  }

  get size(): number {
    return this.tail - this.head;
  }

  get free(): number {
    return this.capacity - (this.tail - this.head);
  }

  /**
   * Makes `count` bytes of room after `tail`, compacting if needed. Returns how far the live
   * bytes moved back (callers holding offsets subtract it), or -1 if the ring lacks room.
   */
  reserve(count: number): number {
    if (this.tail + count <= this.base + this.capacity) return 0;
    if (this.tail - this.head + count > this.capacity) return -1;
    const shift = this.head - this.base;
    this.bytes.copyWithin(this.base, this.head, this.tail);
    this.head = this.base;
    this.tail -= shift;
    return shift;
  }

  /** Drops every live byte. */
  clear(): void {
    this.head = this.base;
    this.tail = this.base;
  }
}
