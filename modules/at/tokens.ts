import { COLON, SPACE, codeAt } from "./bytes.ts";

const SLOTS = 64; // power of two, well above the number of tokens the dialect registers
/** Most keys a table holds. */
export const MAX_KEYS = SLOTS >> 1; // a shift, not `/`: XS keeps a quotient as a double, and byte offsets built on one index slowly
const MAX_TOKEN = 24;

const COLONS = 0x3a3a3a3a;
const ONES = 0x01010101;
const HIGH_BITS = 0x80808080 | 0;

/**
 * Maps a line's leading token (the text before `:`, or the whole line when short and
 * colon-free, like `RDY`) to a small integer key, straight from the bytes of the engine's
 * buffer: a hash into an open-addressed table, then a compare. Tokens are registered at
 * start-up.
 *
 * The line is read four bytes at a time through a word view of the same buffer, as XS charges
 * about as much for a byte as for a word: the colon is found a word per step, the token's words
 * are built from the words that search read (shifted together when the token does not start on
 * a word), and compared as little-endian words (the last one's bytes past the token zeroed)
 * against names stored the same way. `slots[h]` is 1 + where a key's entry starts in `packed`
 * (0: empty); an entry is its length and key (`n | key << 8`), then its words.
 */
export class TokenTable {
  /** Where the body starts in the last looked-up line: after `:` and spaces, else the line start. */
  body = 0;
  private readonly words: Int32Array;
  private readonly slots = new Int32Array(SLOTS);
  private packed = new Int32Array(0);
  private readonly bytes: Uint8Array;
  private count = 0;

  /**
   * `words` views `bytes`' whole buffer. Lookups read whole words, up to sixteen bytes from a
   * line's start, whatever its length: the engine's buffer goes on past its receive ring.
   */
  constructor(bytes: Uint8Array, words: Int32Array) {
    this.words = words;
    this.bytes = bytes;
  }

  /** Registers `name` (start-up only) and returns its key; the same name gives the same key. */
  register(name: string): number {
    let n = 0;
    let colon = false;
    for (let c = codeAt(name, 0); c === c; c = codeAt(name, ++n)) if (c === COLON) colon = true; // NaN past the end
    // None could ever match a line: `lookup` reads a token up to its colon, within MAX_TOKEN bytes.
    if (n === 0 || n > MAX_TOKEN || colon) throw new Error(`not an AT token: ${name}`);
    const size = (n + 3) >> 2;
    const tokenWords = new Int32Array(size + 1);
    for (let i = 0; i < n; i++) tokenWords[i >> 2] |= (codeAt(name, i) & 0xff) << ((i & 3) << 3);
    let slot = slotOf(n, tokenWords[0]!, tokenWords[1]!);
    for (let p = this.slots[slot]!; p !== 0; p = this.slots[slot]!) {
      const at = p - 1;
      if ((this.packed[at]! & 0xff) === n && this.sameWords(at + 1, tokenWords, size)) return this.packed[at]! >> 8;
      slot = (slot + 1) & (SLOTS - 1);
    }
    if (this.count >= MAX_KEYS) throw new Error("too many AT tokens");
    const key = this.count++;
    const at = this.packed.length;
    // Start-up only: the entries grow by one copy per token; the old array becomes garbage.
    const packed = new Int32Array(at + 1 + size);
    packed.set(this.packed, 0);
    packed[at] = n | (key << 8);
    for (let k = 0; k < size; k++) packed[at + 1 + k] = tokenWords[k]!;
    this.packed = packed;
    this.slots[slot] = at + 1;
    return key;
  }

  /** The name registered for `key`, or "" (for logs: it walks the entries). */
  name(key: number): string {
    const packed = this.packed;
    for (let at = 0; at < packed.length; at += 1 + (((packed[at]! & 0xff) + 3) >> 2)) {
      if (packed[at]! >> 8 !== key) continue;
      const n = packed[at]! & 0xff;
      let s = "";
      for (let i = 0; i < n; i++) s += String.fromCharCode((packed[at + 1 + (i >> 2)]! >>> ((i & 3) << 3)) & 0xff);
      return s;
    }
    return "";
  }

  /**
   * Key of the line bytes[start, end) of the engine's buffer, or -1; sets `body`. The token's
   * first twelve bytes are built from three words, read once, and every token of the dialect is
   * shorter: its colon is found among them without a loop. Only a longer or colon-free line
   * searches on (`tokenEnd`).
   */
  lookup(start: number, end: number): number {
    const words = this.words;
    const at = start >> 2;
    let w0 = words[at]!;
    let w1 = words[at + 1]!;
    let w2 = words[at + 2]!;
    const shift = (start & 3) << 3;
    if (shift !== 0) {
      const back = 32 - shift;
      w0 = (w0 >>> shift) | (w1 << back);
      w1 = (w1 >>> shift) | (w2 << back);
      w2 = (w2 >>> shift) | (words[at + 3]! << back);
    }
    // The first colon among the first twelve bytes: the lowest 0x80 bit of the first word that
    // has one (a zero byte of the word xor colons). None past the line's end counts.
    let n = -1;
    let x = w0 ^ COLONS;
    let z = (x - ONES) & ~x & HIGH_BITS;
    if (z !== 0) n = 0;
    else {
      x = w1 ^ COLONS;
      z = (x - ONES) & ~x & HIGH_BITS;
      if (z !== 0) n = 4;
      else {
        x = w2 ^ COLONS;
        z = (x - ONES) & ~x & HIGH_BITS;
        if (z !== 0) n = 8;
      }
    }
    if (n >= 0) {
      const low = z & -z;
      n += low === 0x80 ? 0 : low === 0x8000 ? 1 : low === 0x800000 ? 2 : 3;
      if (n >= end - start) n = -1;
    }
    if (n >= 0) {
      const b = this.bytes;
      let body = start + n + 1;
      while (body < end && b[body] === SPACE) body++;
      this.body = body;
    } else {
      n = this.tokenEnd(start, end);
      if (n < 0) return -1;
    }
    // The token's words, its bytes past `n` zeroed.
    if (n < 12) {
      if (n < 8) {
        w2 = 0;
        if (n < 4) {
          w0 &= (1 << (n << 3)) - 1;
          w1 = 0;
        } else w1 &= (1 << ((n - 4) << 3)) - 1;
      } else w2 &= (1 << ((n - 8) << 3)) - 1;
    }
    let h = w0 ^ w1 ^ n; // as `slotOf`
    h ^= h >>> 4;
    h ^= h >>> 20;
    const slots = this.slots;
    const packed = this.packed;
    for (let slot = h & (SLOTS - 1); ; slot = (slot + 1) & (SLOTS - 1)) {
      const p = slots[slot]!;
      if (p === 0) return -1;
      const head = packed[p - 1]!;
      if ((head & 0xff) !== n || packed[p]! !== w0 || (n > 4 && packed[p + 1]! !== w1) || (n > 8 && packed[p + 2]! !== w2)) continue;
      if (n <= 12) return head >> 8;
      // Tokens longer than twelve bytes: the rest of their words.
      let k = 3;
      while (k << 2 < n && packed[p + k] === tokenWord(words, start, k, n)) k++;
      if (k << 2 >= n) return head >> 8;
    }
  }

  /**
   * For a line without a colon among its first twelve bytes: the token's length (up to the first
   * colon within MAX_TOKEN bytes, or the whole line if it is that short and has none), or -1.
   * Sets `body`.
   */
  private tokenEnd(start: number, end: number): number {
    const limit = end - start > MAX_TOKEN ? start + MAX_TOKEN : end;
    const b = this.bytes;
    let c = start + 12;
    while (c < limit && b[c] !== COLON) c++;
    if (c >= limit) {
      this.body = start;
      return end === limit ? end - start : -1;
    }
    let body = c + 1;
    while (body < end && b[body] === SPACE) body++;
    this.body = body;
    return c - start;
  }

  /** True if packed[at, at + size) holds `tokenWords`' first `size` words. */
  private sameWords(at: number, tokenWords: Int32Array, size: number): boolean {
    for (let k = 0; k < size; k++) if (this.packed[at + k] !== tokenWords[k]) return false;
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

