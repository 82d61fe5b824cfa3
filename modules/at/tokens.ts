import { COLON, codeAt } from "./bytes.ts";
import { MAX_TOKEN } from "./kernel-abi.ts";

/** Most keys a table holds. */
export const MAX_KEYS = 32;

/**
 * The line tokens the engine knows (`+MQTTOPEN`, `RDY`), each with a small integer key. A line's
 * key is found by `tokenKey(bytes, start, end, table.names)` (kernels.ts), straight from the
 * line's bytes: the token is the text before `:`, or the whole line when short and colon-free.
 * Tokens are registered at start-up; their names are kept as entries of a length, a key and the
 * name's bytes, ended by a zero length.
 */
export class TokenTable {
  /** The entries `tokenKey` reads; replaced (not changed) by each `register`. */
  names = new Uint8Array(1);
  private count = 0;

  /** Registers `name` (start-up only) and returns its key; the same name gives the same key. */
  register(name: string): number {
    let n = 0;
    let colon = false;
    for (let c = codeAt(name, 0); c === c; c = codeAt(name, ++n)) if (c === COLON) colon = true; // NaN past the end
    // None could ever match a line: a token ends at its colon, within MAX_TOKEN bytes.
    if (n === 0 || n > MAX_TOKEN || colon) throw new Error(`not an AT token: ${name}`);
    const known = this.find(name);
    if (known >= 0) return known;
    if (this.count >= MAX_KEYS) throw new Error("too many AT tokens");
    const key = this.count++;
    const at = this.names.length - 1;
    // Start-up only: the entries grow by one copy per token; the old array becomes garbage.
    const names = new Uint8Array(at + 2 + n + 1);
    names.set(this.names, 0); // its end mark is written over
    names[at] = n;
    names[at + 1] = key;
    for (let i = 0; i < n; i++) names[at + 2 + i] = codeAt(name, i) & 0xff;
    this.names = names;
    return key;
  }

  /** The name registered for `key`, or "" (for logs). */
  name(key: number): string {
    const names = this.names;
    for (let at = 0; names[at] !== 0; at += 2 + names[at]!) {
      if (names[at + 1] !== key) continue;
      let s = "";
      for (let i = 0; i < names[at]!; i++) s += String.fromCharCode(names[at + 2 + i]!);
      return s;
    }
    return "";
  }

  private find(name: string): number {
    const names = this.names;
    for (let at = 0; names[at] !== 0; at += 2 + names[at]!) {
      if (names[at] !== name.length) continue;
      let i = 0;
      while (i < name.length && names[at + 2 + i] === (codeAt(name, i) & 0xff)) i++;
      if (i === name.length) return names[at + 1]!;
    }
    return -1;
  }
}
