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
const FNV_PRIME = 0x01000193;

/**
 * Each event folds its values into the hash in one method, without a call per value: the
 * consumer's cost belongs in the figures of both parsers alike, and small, since it is not
 * parsing.
 */
export class Events {
  readonly counts = new Int32Array(6);
  hash = 0x811c9dc5 | 0;

  constructor(readonly full: boolean) {}

  fold(v: number): void {
    this.hash = Math.imul(this.hash ^ v, FNV_PRIME);
  }

  final(tag: number, result: number, code: number): void {
    this.counts[EV_FINAL]++;
    let h = Math.imul(this.hash ^ EV_FINAL, FNV_PRIME);
    h = Math.imul(h ^ tag, FNV_PRIME);
    h = Math.imul(h ^ result, FNV_PRIME);
    this.hash = Math.imul(h ^ code, FNV_PRIME);
  }

  csq(rssi: number, ber: number): void {
    this.counts[EV_CSQ]++;
    let h = Math.imul(this.hash ^ EV_CSQ, FNV_PRIME);
    h = Math.imul(h ^ rssi, FNV_PRIME);
    this.hash = Math.imul(h ^ ber, FNV_PRIME);
  }

  /** `kind` 1: +MQTTPUB, 2: +MQTTSUB. */
  ack(kind: number, id: number, status: number): void {
    this.counts[EV_ACK]++;
    let h = Math.imul(this.hash ^ EV_ACK, FNV_PRIME);
    h = Math.imul(h ^ kind, FNV_PRIME);
    h = Math.imul(h ^ id, FNV_PRIME);
    this.hash = Math.imul(h ^ status, FNV_PRIME);
  }

  announce(id: number, qos: number, tlen: number, plen: number): void {
    this.counts[EV_ANNOUNCE]++;
    let h = Math.imul(this.hash ^ EV_ANNOUNCE, FNV_PRIME);
    h = Math.imul(h ^ id, FNV_PRIME);
    h = Math.imul(h ^ qos, FNV_PRIME);
    h = Math.imul(h ^ tlen, FNV_PRIME);
    this.hash = Math.imul(h ^ plen, FNV_PRIME);
  }

  /** A message (EV_MESSAGE, mode 0; EV_READ, mode 1); its topic and payload follow. */
  message(kind: number, id: number, qos: number): void {
    this.counts[kind]++;
    let h = Math.imul(this.hash ^ kind, FNV_PRIME);
    h = Math.imul(h ^ id, FNV_PRIME);
    this.hash = Math.imul(h ^ qos, FNV_PRIME);
  }

  /** A text given as bytes [start, end). */
  bytes(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.full) {
      this.fold(n);
      let h = 0x811c9dc5 | 0;
      for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
      this.fold(h);
    } else if (n === 0) this.samples(0, -1, -1, -1);
    else this.samples(n, b[start]!, b[start + (n >> 1)]!, b[end - 1]!);
  }

  /** The same, given as a string. */
  text(s: string): void {
    const n = s.length;
    if (this.full) {
      this.fold(n);
      let h = 0x811c9dc5 | 0;
      for (let i = 0; i < n; i++) h = Math.imul(h ^ charCodeAt.call(s, i), FNV_PRIME);
      this.fold(h);
    } else if (n === 0) this.samples(0, -1, -1, -1);
    else this.samples(n, charCodeAt.call(s, 0), charCodeAt.call(s, n >> 1), charCodeAt.call(s, n - 1));
  }

  /** A text's length and its sampled characters (first, middle, last; -1 for an empty text). */
  samples(n: number, first: number, middle: number, last: number): void {
    if (n === 0) first = middle = last = -1;
    let h = Math.imul(this.hash ^ n, FNV_PRIME);
    h = Math.imul(h ^ first, FNV_PRIME);
    h = Math.imul(h ^ middle, FNV_PRIME);
    this.hash = Math.imul(h ^ last, FNV_PRIME);
  }
}
