import { COLON, SPACE, ascii, text } from "./bytes.ts";

const SLOTS = 64; // power of two, well above the number of tokens the dialect registers
/** Most keys a table holds. */
export const MAX_KEYS = SLOTS >> 1; // a shift, not `/`: XS keeps a quotient as a double, and byte offsets built on one index slowly
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
  private readonly table = new Int16Array(SLOTS + MAX_KEYS + 1).fill(-1);
  private names = new Uint8Array(0);
  /** After a lookup that found nothing: the free slot where the token would go. */
  private free = -1;
  private count = 0;

  constructor() {
    this.table[OFFSETS] = 0;
  }

  /** Registers `name` (start-up only) and returns its key; the same name gives the same key. */
  register(name: string): number {
    const pattern = ascii(name);
    const n = pattern.length;
    // Neither could ever match a line: `lookup` reads a token up to its colon, within MAX_TOKEN bytes.
    if (n > MAX_TOKEN || pattern.indexOf(COLON) >= 0) throw new Error(`not an AT token: ${name}`);
    const found = this.lookup(pattern, 0, n);
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
    t[this.free] = key;
    return key;
  }

  name(key: number): string {
    if (key < 0 || key >= this.count) return "";
    return text(this.names, this.table[OFFSETS + key]!, this.table[OFFSETS + key + 1]!);
  }

  /** Key of the line [start, end), or -1; sets `body`. */
  lookup(bytes: Uint8Array, start: number, end: number): number {
    const limit = end - start > MAX_TOKEN ? start + MAX_TOKEN : end;
    let e = start;
    while (e < limit && bytes[e] !== COLON) e++;
    if (e === limit) {
      this.body = start;
      if (end !== limit) return -1;
    } else {
      let body = e + 1;
      while (body < end && bytes[body] === SPACE) body++;
      this.body = body;
    }
    // The token is [start, e).
    const n = e - start;
    const t = this.table;
    const names = this.names;
    let slot = 0;
    if (n > 0) {
      // Slot from the token's length and three of its bytes, not all of them: the compare
      // below reads them all anyway. The bytes sampled tell this dialect's tokens apart
      // (`+MQTTPUB`/`+MQTTSUB` differ at 5, `+CME`/`+CMS ERROR` at 3), and the constants put the
      // modem layer's tokens in distinct slots; a collision costs a probe.
      const h = n * 961 + bytes[start + (n > 3 ? 3 : 0)]! * 5 + bytes[start + (n > 5 ? 5 : n - 1)]! + bytes[e - 1]! * 7;
      slot = (h ^ (h >> 3)) & (SLOTS - 1);
    }
    for (;;) {
      const key = t[slot]!;
      if (key < 0) {
        this.free = slot;
        return -1;
      }
      let p = t[OFFSETS + key]!;
      if (t[OFFSETS + key + 1]! - p === n) {
        let i = start;
        while (i < e && names[p] === bytes[i]) {
          i++;
          p++;
        }
        if (i === e) return key;
      }
      slot = (slot + 1) & (SLOTS - 1);
    }
  }
}
