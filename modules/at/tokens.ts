import { COLON, SPACE, ascii, text } from "./bytes.ts";

const SLOTS = 64; // power of two, well above the number of tokens the dialect registers
const MAX_KEYS = SLOTS / 2;
const MAX_TOKEN = 24;
/** `table[OFFSETS + key]` is where key's name starts in `names`; the next entry is where it ends. */
const OFFSETS = SLOTS;

/**
 * Maps a line's leading token (the text before `:`, or the whole line when short and
 * colon-free, like `OK` or `RDY`) to a small integer key, straight from bytes: a multiplicative
 * hash into an open-addressed table, then a byte compare. Tokens are registered at start-up.
 *
 * The names live back to back in one byte array and the hash slots and name offsets share one
 * Int16Array: in XS every array and typed array costs several heap slots of its own.
 */
export class TokenTable {
  /** Where the body starts in the last looked-up line: after `:` and spaces, else the line start. */
  body = 0;
  private names = new Uint8Array(0);
  private count = 0;
  private readonly table = new Int16Array(SLOTS + MAX_KEYS + 1).fill(-1);

  constructor() {
    this.table[OFFSETS] = 0;
  }

  /** Registers `name` (start-up only) and returns its key; the same name gives the same key. */
  register(name: string): number {
    const pattern = ascii(name);
    const n = pattern.length;
    let h = 0;
    for (let i = 0; i < n; i++) h = (h * 31 + pattern[i]!) | 0;
    const found = this.find(pattern, 0, n, h);
    if (found >= 0) return found;
    if (this.count >= MAX_KEYS) throw new Error("too many AT tokens");
    const key = this.count++;
    const t = this.table;
    const at = t[OFFSETS + key]!;
    // Start-up only: the names grow by one copy per token; the old array becomes garbage.
    const names = new Uint8Array(at + n);
    names.set(this.names, 0);
    names.set(pattern, at);
    this.names = names;
    t[OFFSETS + key + 1] = at + n;
    let slot = mix(h);
    while (t[slot] !== -1) slot = (slot + 1) & (SLOTS - 1);
    t[slot] = key;
    return key;
  }

  name(key: number): string {
    if (key < 0 || key >= this.count) return "";
    return text(this.names, this.table[OFFSETS + key]!, this.table[OFFSETS + key + 1]!);
  }

  /** Key of the line [start, end), or -1; sets `body`. */
  lookup(bytes: Uint8Array, start: number, end: number): number {
    const limit = end - start > MAX_TOKEN ? start + MAX_TOKEN : end;
    // One pass finds the colon and hashes the token before it.
    let h = 0;
    let i = start;
    for (; i < limit; i++) {
      const c = bytes[i]!;
      if (c === COLON) break;
      h = (h * 31 + c) | 0;
    }
    if (i === limit) {
      this.body = start;
      return end === limit ? this.find(bytes, start, end, h) : -1;
    }
    let body = i + 1;
    while (body < end && bytes[body] === SPACE) body++;
    this.body = body;
    return this.find(bytes, start, i, h);
  }

  private find(bytes: Uint8Array, start: number, end: number, h: number): number {
    const n = end - start;
    const t = this.table;
    const names = this.names;
    let slot = (h ^ (h >>> 6) ^ (h >>> 12)) & (SLOTS - 1); // mix(h), inline: this runs per line
    for (;;) {
      const key = t[slot]!;
      if (key < 0) return -1;
      let p = t[OFFSETS + key]!;
      if (t[OFFSETS + key + 1]! - p === n) {
        let i = start;
        while (i < end && names[p] === bytes[i]) {
          i++;
          p++;
        }
        if (i === end) return key;
      }
      slot = (slot + 1) & (SLOTS - 1);
    }
  }
}

function mix(h: number): number {
  return (h ^ (h >>> 6) ^ (h >>> 12)) & (SLOTS - 1);
}
