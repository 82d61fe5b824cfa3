/** Message states in the outbox. */
export const QUEUED = 0;
/** Its command is in the engine's queue or on the wire. */
export const SENDING = 1;
/** The modem took it (`OK`); its `+MQTTPUB` status is due. */
export const SENT = 2;
/** Acknowledged or given up, waiting for the messages before it to leave. */
const REMOVED = 3;

/**
 * Publishes waiting to go out or to be acknowledged, in order. Payloads are copied into one
 * fixed byte pool, so a caller may reuse its buffer at once and a QoS 1/2 message survives an
 * outage; nothing is allocated per message. Messages leave from the front only (the modem
 * reports publish results in order), so the pool is a compacting FIFO like the receive ring.
 */
export class Outbox {
  readonly pool: Uint8Array;
  private readonly topics: (string | null)[];
  private readonly qos: Uint8Array;
  private readonly retain: Uint8Array;
  private readonly states: Uint8Array;
  private readonly tries: Uint8Array;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  private first = 0;
  private count = 0;
  private poolHead = 0;
  private poolTail = 0;

  constructor(
    readonly capacity: number,
    poolBytes: number,
  ) {
    this.pool = new Uint8Array(poolBytes);
    this.topics = new Array<string | null>(capacity).fill(null);
    this.qos = new Uint8Array(capacity);
    this.retain = new Uint8Array(capacity);
    this.states = new Uint8Array(capacity);
    this.tries = new Uint8Array(capacity);
    this.offsets = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends a message and returns its slot; -1 if the outbox has no place or no room for the payload. */
  push(topic: string, payload: Uint8Array, qos: number, retain: number): number {
    const n = payload.length;
    if (this.count >= this.capacity || !this.reserve(n)) return -1;
    const slot = (this.first + this.count) % this.capacity;
    this.pool.set(payload, this.poolTail);
    this.topics[slot] = topic;
    this.qos[slot] = qos;
    this.retain[slot] = retain;
    this.states[slot] = QUEUED;
    this.tries[slot] = 0;
    this.offsets[slot] = this.poolTail;
    this.lengths[slot] = n;
    this.poolTail += n;
    this.count++;
    return slot;
  }

  /** The k-th message from the front (0-based) as a slot index, for the accessors below. */
  slot(k: number): number {
    return (this.first + k) % this.capacity;
  }

  /** Position from the front of the first message in `state`, or -1. */
  find(state: number): number {
    for (let k = 0; k < this.count; k++) if (this.states[(this.first + k) % this.capacity] === state) return k;
    return -1;
  }

  /** How many messages are in `state`. */
  countIn(state: number): number {
    let n = 0;
    for (let k = 0; k < this.count; k++) if (this.states[(this.first + k) % this.capacity] === state) n++;
    return n;
  }

  topic(slot: number): string {
    return this.topics[slot]!;
  }
  qosOf(slot: number): number {
    return this.qos[slot]!;
  }
  retainOf(slot: number): number {
    return this.retain[slot]!;
  }
  offset(slot: number): number {
    return this.offsets[slot]!;
  }
  length(slot: number): number {
    return this.lengths[slot]!;
  }
  state(slot: number): number {
    return this.states[slot]!;
  }
  setState(slot: number, state: number): void {
    this.states[slot] = state;
  }
  /** Counts one more failed attempt; returns the total. */
  failed(slot: number): number {
    return ++this.tries[slot]!;
  }

  /**
   * Removes the message at position `k` from the front. Only the front frees pool bytes at
   * once; a message removed from the middle is marked and its bytes freed when it reaches the front.
   */
  remove(k: number): void {
    const slot = this.slot(k);
    this.topics[slot] = null;
    this.states[slot] = REMOVED;
    while (this.count > 0 && this.states[this.first] === REMOVED) {
      this.poolHead += this.lengths[this.first]!;
      this.first = (this.first + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.poolHead = this.poolTail = 0;
  }

  /** Messages not yet acknowledged or given up. */
  get live(): number {
    return this.count - this.countIn(REMOVED);
  }

  private reserve(n: number): boolean {
    const cap = this.pool.length;
    if (this.poolTail + n <= cap) return true;
    if (this.poolTail - this.poolHead + n > cap) return false;
    const shift = this.poolHead;
    this.pool.copyWithin(0, this.poolHead, this.poolTail);
    for (let k = 0; k < this.count; k++) this.offsets[(this.first + k) % this.capacity] -= shift;
    this.poolHead = 0;
    this.poolTail -= shift;
    return true;
  }
}
