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

export class Events {
  readonly counts = new Int32Array(6);
  hash = 0x811c9dc5 | 0;

  constructor(readonly full: boolean) {}

  fold(v: number): void {
    this.hash = Math.imul(this.hash ^ v, 0x01000193);
  }

  final(tag: number, result: number, code: number): void {
    this.counts[EV_FINAL]++;
    this.fold(EV_FINAL);
    this.fold(tag);
    this.fold(result);
    this.fold(code);
  }

  csq(rssi: number, ber: number): void {
    this.counts[EV_CSQ]++;
    this.fold(EV_CSQ);
    this.fold(rssi);
    this.fold(ber);
  }

  /** `kind` 1: +MQTTPUB, 2: +MQTTSUB. */
  ack(kind: number, id: number, status: number): void {
    this.counts[EV_ACK]++;
    this.fold(EV_ACK);
    this.fold(kind);
    this.fold(id);
    this.fold(status);
  }

  announce(id: number, qos: number, tlen: number, plen: number): void {
    this.counts[EV_ANNOUNCE]++;
    this.fold(EV_ANNOUNCE);
    this.fold(id);
    this.fold(qos);
    this.fold(tlen);
    this.fold(plen);
  }

  /** A message (EV_MESSAGE, mode 0; EV_READ, mode 1); its topic and payload follow. */
  message(kind: number, id: number, qos: number): void {
    this.counts[kind]++;
    this.fold(kind);
    this.fold(id);
    this.fold(qos);
  }

  /** A text given as bytes [start, end). */
  bytes(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.fold(n);
    if (this.full) {
      let h = 0x811c9dc5 | 0;
      for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
      this.fold(h);
    } else this.samples(n, b[start] ?? -1, b[start + (n >> 1)] ?? -1, b[end - 1] ?? -1);
  }

  /** The same, given as a string. */
  text(s: string): void {
    const n = s.length;
    this.fold(n);
    if (this.full) {
      let h = 0x811c9dc5 | 0;
      for (let i = 0; i < n; i++) h = Math.imul(h ^ charCodeAt.call(s, i), 0x01000193);
      this.fold(h);
    } else if (n === 0) this.samples(0, -1, -1, -1);
    else this.samples(n, charCodeAt.call(s, 0), charCodeAt.call(s, n >> 1), charCodeAt.call(s, n - 1));
  }

  /** Pieces of a text whose length is known up front: the sampled characters, as they pass. */
  samples(n: number, first: number, middle: number, last: number): void {
    if (n === 0) first = middle = last = -1;
    this.fold(first);
    this.fold(middle);
    this.fold(last);
  }
}
