import { COLON, SPACE, ascii } from "./bytes.ts";

const SLOTS = 64; // power of two, well above the number of tokens the dialect registers
const MAX_TOKEN = 24;

/**
 * Maps a line's leading token (the text before `:`, or the whole line when short and
 * colon-free, like `OK` or `RDY`) to a small integer key, straight from bytes: a multiplicative
 * hash into an open-addressed table, then a byte compare. Tokens are registered at start-up.
 */
export class TokenTable {
  /** Where the body starts in the last looked-up line: after `:` and spaces, else the line start. */
  body = 0;
  private readonly slots = new Int16Array(SLOTS).fill(-1);
  private readonly patterns: Uint8Array[] = [];

  /** Registers `name` (start-up only) and returns its key; the same name gives the same key. */
  register(name: string): number {
    const pattern = ascii(name);
    const found = this.lookupToken(pattern, 0, pattern.length);
    if (found >= 0) return found;
    if (this.patterns.length >= SLOTS / 2) throw new Error("too many AT tokens");
    const key = this.patterns.length;
    this.patterns.push(pattern);
    let slot = hash(pattern, 0, pattern.length) & (SLOTS - 1);
    while (this.slots[slot] !== -1) slot = (slot + 1) & (SLOTS - 1);
    this.slots[slot] = key;
    return key;
  }

  name(key: number): string {
    const p = this.patterns[key];
    return p === undefined ? "" : String.fromCharCode.apply(null, p as unknown as number[]);
  }

  /** Key of the line [start, end), or -1; sets `body`. */
  lookup(bytes: Uint8Array, start: number, end: number): number {
    const limit = end - start > MAX_TOKEN ? start + MAX_TOKEN : end;
    let colon = -1;
    for (let i = start; i < limit; i++) {
      if (bytes[i] === COLON) {
        colon = i;
        break;
      }
    }
    if (colon < 0) {
      this.body = start;
      return end === limit ? this.lookupToken(bytes, start, end) : -1;
    }
    let body = colon + 1;
    while (body < end && bytes[body] === SPACE) body++;
    this.body = body;
    return this.lookupToken(bytes, start, colon);
  }

  private lookupToken(bytes: Uint8Array, start: number, end: number): number {
    const n = end - start;
    let slot = hash(bytes, start, end) & (SLOTS - 1);
    for (;;) {
      const key = this.slots[slot]!;
      if (key < 0) return -1;
      const p = this.patterns[key]!;
      if (p.length === n) {
        let i = 0;
        while (i < n && p[i] === bytes[start + i]) i++;
        if (i === n) return key;
      }
      slot = (slot + 1) & (SLOTS - 1);
    }
  }
}

function hash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h ^ (h >>> 15);
}
