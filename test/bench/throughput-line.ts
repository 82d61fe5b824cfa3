import type { TxPort } from "cellmqtt/at/port";

/**
 * The device's transmit line at a fixed byte rate: `write` queues, and bytes reach the modem
 * no sooner than the line could have carried them (each byte takes 1/rate s after the one
 * before). Counts what it released and how long the line was busy.
 */
export class PacedLine implements TxPort {
  released = 0;
  /** Idle periods of the line between writes, and their total length. */
  gaps = 0;
  gapMs = 0;
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  /** When the line finishes the bytes already committed (performance.now() ms). */
  private freeAt = 0;
  private busy = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly deliver: (bytes: Uint8Array) => void,
  ) {}

  write(bytes: Uint8Array, offset: number, length: number): void {
    const now = performance.now();
    if (now > this.freeAt && this.freeAt > 0) {
      this.gaps++;
      this.gapMs += now - this.freeAt;
    }
    const start = Math.max(now, this.freeAt);
    const ms = (length * 1000) / this.bytesPerSecond;
    this.freeAt = start + ms;
    this.busy += ms;
    this.queue.push(Uint8Array.prototype.slice.call(bytes, offset, offset + length));
    this.queued += length;
    this.schedule();
  }

  /** Milliseconds of line time used so far (committed bytes, at the line rate). */
  busyMs(): number {
    // Bytes committed but not yet on the wire are not counted.
    return this.busy - Math.max(0, this.freeAt - performance.now());
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), 0);
  }

  /** Releases every byte whose transmit time has passed; whole chunks as soon as they are complete. */
  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    // Bytes that have finished: the backlog minus what the line still has to send.
    const pending = Math.ceil(Math.max(0, this.freeAt - now) * this.bytesPerSecond / 1000);
    let n = this.queued - pending;
    while (n > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const take = Math.min(n, head.length);
      this.deliver(take === head.length ? head : head.subarray(0, take));
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
      this.queued -= take;
      this.released += take;
      n -= take;
    }
    // Next release when the rest is due (Node timers round to whole milliseconds).
    if (this.queued > 0) this.timer = setTimeout(() => this.flush(), Math.max(1, Math.min(5, this.freeAt - performance.now())));
  }
}
