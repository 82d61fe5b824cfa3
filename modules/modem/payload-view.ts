/**
 * The payload handed to a message callback: a view valid during the callback, over one buffer
 * made at start-up. Where the engine supports resizable ArrayBuffers (ES2024; XS and Node do),
 * the view tracks the buffer's length, so each message resizes in place and nothing is
 * allocated; elsewhere a new view is made per message.
 */
export class PayloadView {
  private readonly buffer: ArrayBuffer;
  private readonly tracking: Uint8Array | null;
  private readonly fixed: Uint8Array;
  private length = 0;

  constructor(readonly capacity: number) {
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void; resizable?: boolean };
    let buffer: ArrayBuffer & { resize?(n: number): void; resizable?: boolean };
    try {
      buffer = new Resizable(capacity, { maxByteLength: capacity });
    } catch {
      buffer = new ArrayBuffer(capacity);
    }
    this.buffer = buffer;
    this.fixed = new Uint8Array(buffer, 0, capacity);
    this.tracking = buffer.resizable === true ? new Uint8Array(buffer) : null;
    this.length = capacity;
  }

  /** Starts a message of `length` bytes (at most `capacity`): the view takes that length now. */
  begin(length: number): void {
    // Straight to the message's length: resizing to the capacity and back each time churns
    // the engine's chunk heap.
    if (this.tracking !== null && this.length !== length) (this.buffer as ArrayBuffer & { resize(n: number): void }).resize(length);
    this.length = length;
  }

  /** Copies bytes [start, end) of `src` to position `at` of the message. */
  write(at: number, src: Uint8Array, start: number, end: number): void {
    const dst = this.fixedView();
    for (let i = start; i < end; i++) dst[at++] = src[i]!;
  }

  /** The finished message. */
  view(): Uint8Array {
    return this.tracking ?? new Uint8Array(this.buffer, 0, this.length);
  }

  private fixedView(): Uint8Array {
    return this.tracking ?? this.fixed;
  }
}
