/**
 * What a parser reports, folded into counts and one hash so two parsers' outputs can be
 * compared without keeping them. `full` hashes every byte of topics and payloads (the check);
 * otherwise each text contributes its length and three sampled characters, so the measured
 * consumer costs the same small, constant amount whichever parser feeds it.
 */
export const EV_FINAL = 0;
export const EV_CSQ = 1;
export const EV_ACK = 2;
export const EV_ANNOUNCE = 3;
export const EV_MESSAGE = 4;
export const EV_READ = 5;

const charCodeAt = String.prototype.charCodeAt;

/**
 * Each event folds its values into the hash in one method, without a call per value: the
 * consumer's cost belongs in the figures of both parsers alike, and small, since it is not
 * parsing. A value folds in as h * 31 + v in 32 bits (`(h << 5) - h + v | 0`): integer
 * operators, exact in any engine, where a native such as `Math.imul` would cost XS ~600
 * instructions a value. Every byte-hashing consumer (the engine's driver too) folds this way.
 */
export class Events {
  /** Events of each kind (a plain array: XS updates its elements for less than a typed array's). */
  readonly counts: number[] = [0, 0, 0, 0, 0, 0];
  hash = 0;

  constructor(readonly full: boolean) {}

  fold(v: number): void {
    const h = this.hash;
    this.hash = ((h << 5) - h + v) | 0;
  }

  final(tag: number, result: number, code: number): void {
    this.counts[EV_FINAL]++;
    let h = this.hash;
    h = ((h << 5) - h + EV_FINAL) | 0;
    h = ((h << 5) - h + tag) | 0;
    h = ((h << 5) - h + result) | 0;
    this.hash = ((h << 5) - h + code) | 0;
  }

  csq(rssi: number, ber: number): void {
    this.counts[EV_CSQ]++;
    let h = this.hash;
    h = ((h << 5) - h + EV_CSQ) | 0;
    h = ((h << 5) - h + rssi) | 0;
    this.hash = ((h << 5) - h + ber) | 0;
  }

  /** `kind` 1: +MQTTPUB, 2: +MQTTSUB. */
  ack(kind: number, id: number, status: number): void {
    this.counts[EV_ACK]++;
    let h = this.hash;
    h = ((h << 5) - h + EV_ACK) | 0;
    h = ((h << 5) - h + kind) | 0;
    h = ((h << 5) - h + id) | 0;
    this.hash = ((h << 5) - h + status) | 0;
  }

  announce(id: number, qos: number, tlen: number, plen: number): void {
    this.counts[EV_ANNOUNCE]++;
    let h = this.hash;
    h = ((h << 5) - h + EV_ANNOUNCE) | 0;
    h = ((h << 5) - h + id) | 0;
    h = ((h << 5) - h + qos) | 0;
    h = ((h << 5) - h + tlen) | 0;
    this.hash = ((h << 5) - h + plen) | 0;
  }

  /** A message (EV_MESSAGE, mode 0; EV_READ, mode 1); its topic and payload follow. */
  message(kind: number, id: number, qos: number): void {
    this.counts[kind]++;
    let h = this.hash;
    h = ((h << 5) - h + kind) | 0;
    h = ((h << 5) - h + id) | 0;
    this.hash = ((h << 5) - h + qos) | 0;
  }

  /** A text given as bytes [start, end). */
  bytes(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.full) {
      this.fold(n);
      let h = 0;
      for (let i = start; i < end; i++) h = ((h << 5) - h + b[i]!) | 0;
      this.fold(h);
    } else if (n === 0) this.samples(0, -1, -1, -1);
    else this.samples(n, b[start]!, b[start + (n >> 1)]!, b[end - 1]!);
  }

  /** The same, given as a string. */
  text(s: string): void {
    const n = s.length;
    if (this.full) {
      this.fold(n);
      let h = 0;
      for (let i = 0; i < n; i++) h = ((h << 5) - h + charCodeAt.call(s, i)) | 0;
      this.fold(h);
    } else if (n === 0) this.samples(0, -1, -1, -1);
    else this.samples(n, charCodeAt.call(s, 0), charCodeAt.call(s, n >> 1), charCodeAt.call(s, n - 1));
  }

  /** A text's length and its sampled characters (first, middle, last; -1 for an empty text). */
  samples(n: number, first: number, middle: number, last: number): void {
    if (n === 0) first = middle = last = -1;
    let h = this.hash;
    h = ((h << 5) - h + n) | 0;
    h = ((h << 5) - h + first) | 0;
    h = ((h << 5) - h + middle) | 0;
    this.hash = ((h << 5) - h + last) | 0;
  }
}
