/** Reconnect delays: exponential, capped, with full jitter so a fleet does not reconnect in step. */
export class Backoff {
  /** Delays handed out since the last reset: the attempt number logs show. */
  private attempt = 0;
  /** Set by longest(): later delays stay at the cap until a reset. */
  private capped = false;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  /** The next delay: uniform in [minMs, min(maxMs, minMs * 2^attempt)]. */
  next(): number {
    const ceiling = this.capped ? this.maxMs : Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(this.minMs + this.random() * (ceiling - this.minMs));
  }

  /** Jumps to the cap: used after refusals that retrying soon will not fix. */
  longest(): number {
    this.attempt++;
    this.capped = true;
    return this.maxMs;
  }

  reset(): void {
    this.attempt = 0;
    this.capped = false;
  }
}
