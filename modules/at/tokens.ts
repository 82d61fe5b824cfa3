import { COLON, SPACE, codeAt } from "./bytes.ts";

const SLOTS = 64; // power of two, well above the number of tokens the dialect registers
/** Most keys a table holds. */
export const MAX_KEYS = SLOTS >> 1; // a shift, not `/`: XS keeps a quotient as a double, and byte offsets built on one index slowly
const MAX_TOKEN = 24;
/** `table[OFFSETS + key]` is where key's entry starts in `packed`; the next entry is where it ends. */
const OFFSETS = SLOTS;

const COLONS = 0x3a3a3a3a;
const ONES = 0x01010101;
const HIGH_BITS = 0x80808080 | 0;
const SEVEN_FS = 0x7f7f7f7f;

/**
 * Maps a line's leading token (the text before `:`, or the whole line when short and
 * colon-free, like `RDY`) to a small integer key, straight from the bytes of the engine's
 * buffer: a hash into an open-addressed table, then a compare. Tokens are registered at
 * start-up.
 *
 * The line is read four bytes at a time through a word view of the same buffer, as XS charges
 * about as much for a byte as for a word: the colon is found a word per step, and the token is
 * compared as little-endian words (its last word's bytes past the token zeroed) against names
 * stored the same way. Each key's entry in `packed` is its length, then its words; the hash
 * slots and the entries' offsets share one Int16Array: in XS every array costs heap slots.
 */
export class TokenTable {
  /** Where the body starts in the last looked-up line: after `:` and spaces, else the line start. */
  body = 0;
  private readonly table = new Int16Array(SLOTS + MAX_KEYS + 1).fill(-1);
  private packed = new Int32Array(0);
  private count = 0;

  /**
   * `words` views `bytes`' whole buffer. Lookups read whole words, so up to four bytes past a
   * token: the engine's buffer goes on past its receive ring.
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly words: Int32Array,
  ) {
    this.table[OFFSETS] = 0;
  }

  /** Registers `name` (start-up only) and returns its key; the same name gives the same key. */
  register(name: string): number {
    let n = 0;
    let colon = false;
    for (let c = codeAt(name, 0); c === c; c = codeAt(name, ++n)) if (c === COLON) colon = true; // NaN past the end
    // None could ever match a line: `lookup` reads a token up to its colon, within MAX_TOKEN bytes.
    if (n === 0 || n > MAX_TOKEN || colon) throw new Error(`not an AT token: ${name}`);
    const entry = new Int32Array(1 + ((n + 3) >> 2));
    entry[0] = n;
    for (let i = 0; i < n; i++) entry[1 + (i >> 2)] |= (codeAt(name, i) & 0xff) << ((i & 3) << 3);
    const t = this.table;
    let slot = slotOf(n, entry[1]!, entry.length > 2 ? entry[2]! : 0);
    for (let key = t[slot]!; key >= 0; key = t[slot]!) {
      if (this.matches(key, entry)) return key;
      slot = (slot + 1) & (SLOTS - 1);
    }
    if (this.count >= MAX_KEYS) throw new Error("too many AT tokens");
    const key = this.count++;
    const at = t[OFFSETS + key]!;
    // Start-up only: the entries grow by one copy per token; the old array becomes garbage.
    const packed = new Int32Array(at + entry.length);
    packed.set(this.packed, 0);
    packed.set(entry, at);
    this.packed = packed;
    t[OFFSETS + key + 1] = at + entry.length;
    t[slot] = key;
    return key;
  }

  name(key: number): string {
    if (key < 0 || key >= this.count) return "";
    const at = this.table[OFFSETS + key]!;
    const n = this.packed[at]!;
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode((this.packed[at + 1 + (i >> 2)]! >>> ((i & 3) << 3)) & 0xff);
    return s;
  }

  /** Key of the line bytes[start, end) of the engine's buffer, or -1; sets `body`. */
  lookup(start: number, end: number): number {
    const words = this.words;
    const limit = end - start > MAX_TOKEN ? start + MAX_TOKEN : end;
    // The first colon, a word per step; the bytes of the first word before `start` masked to
    // 0x7F, which is no colon.
    const shift = (start & 3) << 3;
    let i = start - (start & 3);
    let w = words[i >> 2]! | (SEVEN_FS & ((1 << shift) - 1));
    let e = limit;
    for (;;) {
      const x = w ^ COLONS; // a zero byte where w has a colon
      const z = (x - ONES) & ~x & HIGH_BITS; // its lowest 0x80 bit marks the first colon
      if (z !== 0) {
        const low = z & -z;
        const k = i + (low === 0x80 ? 0 : low === 0x8000 ? 1 : low === 0x800000 ? 2 : 3);
        if (k < limit) e = k;
        break;
      }
      i += 4;
      if (i >= limit) break;
      w = words[i >> 2]!;
    }
    if (e === limit) {
      this.body = start;
      if (end !== limit) return -1;
    } else {
      const b = this.bytes;
      let body = e + 1;
      while (body < end && b[body] === SPACE) body++;
      this.body = body;
    }
    // The token is [start, e). Its first two words (as `tokenWord` makes them) pick the slot.
    const n = e - start;
    const at = start >> 2;
    let w0 = words[at]!;
    let w1 = words[at + 1]!;
    if (shift !== 0) {
      w0 = (w0 >>> shift) | (w1 << (32 - shift));
      w1 = (w1 >>> shift) | (words[at + 2]! << (32 - shift));
    }
    if (n < 8) {
      if (n < 4) {
        w0 &= (1 << (n << 3)) - 1;
        w1 = 0;
      } else w1 &= (1 << ((n - 4) << 3)) - 1;
    }
    let h = w0 ^ w1 ^ n; // as `slotOf`
    h ^= h >>> 4;
    h ^= h >>> 20;
    const t = this.table;
    const packed = this.packed;
    for (let slot = h & (SLOTS - 1); ; slot = (slot + 1) & (SLOTS - 1)) {
      const key = t[slot]!;
      if (key < 0) return -1;
      const p = t[OFFSETS + key]!;
      if (packed[p] !== n || packed[p + 1] !== w0 || (n > 4 && packed[p + 2] !== w1)) continue;
      // Tokens longer than eight bytes: the rest of their words.
      let k = 2;
      while (k << 2 < n && packed[p + 1 + k] === tokenWord(words, start, k, n)) k++;
      if (k << 2 >= n) return key;
    }
  }

  /** True if key's entry equals `entry` (a length and words, as `packed` holds them). */
  private matches(key: number, entry: Int32Array): boolean {
    const at = this.table[OFFSETS + key]!;
    if (this.table[OFFSETS + key + 1]! - at !== entry.length) return false;
    for (let k = 0; k < entry.length; k++) if (this.packed[at + k] !== entry[k]) return false;
    return true;
  }
}

/**
 * The slot a token starts probing at, from its length and first two words (`lookup` computes
 * it inline). The shifts put the dialect's tokens in distinct slots; a collision costs a probe.
 */
function slotOf(n: number, w0: number, w1: number): number {
  let h = w0 ^ w1 ^ n;
  h ^= h >>> 4;
  h ^= h >>> 20;
  return h & (SLOTS - 1);
}

/**
 * Bytes [4k, 4k + 4) of the token at `start` as a little-endian word, those at n and past it
 * zeroed. Two aligned words shifted together when the token does not start on a word.
 */
function tokenWord(words: Int32Array, start: number, k: number, n: number): number {
  const at = (start >> 2) + k;
  const shift = (start & 3) << 3;
  let w = shift === 0 ? words[at]! : (words[at]! >>> shift) | (words[at + 1]! << (32 - shift));
  const left = n - (k << 2);
  if (left < 4) w &= (1 << (left << 3)) - 1;
  return w;
}

