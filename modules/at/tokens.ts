import { COLON, codeAt } from "./bytes.ts";
import { MAX_TOKEN } from "./kernel-abi.ts";

/** Most keys a table holds. */
export const MAX_KEYS = 32;

/** An entry's bytes before its name: its length, its key and its route. */
const ENTRY_HEAD = 3;

/**
 * The line tokens the engine knows (`+MQTTOPEN`, `RDY`), each with a small integer key and a
 * route (the engine's handler of the key, 0 for none). A line's key and route are found by
 * `tokenKey(bytes, start, end, table.names)` (kernels.ts), straight from the line's bytes: the
 * token is the text before `:`, or the whole line when short and colon-free. Tokens are
 * registered at start-up; the names are kept as entries of a length, a key, a route and the
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
    const names = new Uint8Array(at + ENTRY_HEAD + n + 1);
    names.set(this.names, 0); // its end mark is written over
    names[at] = n;
    names[at + 1] = key;
    for (let i = 0; i < n; i++) names[at + ENTRY_HEAD + i] = codeAt(name, i) & 0xff;
    this.names = names;
    return key;
  }

  /** Sets `key`'s route (1 to 255; 0 for none). */
  route(key: number, route: number): void {
    const at = this.entry(key);
    if (at >= 0) this.names[at + 2] = route;
  }

  /** `key`'s route, 0 for none. */
  routeOf(key: number): number {
    const at = this.entry(key);
    return at >= 0 ? this.names[at + 2]! : 0;
  }

  /** The name registered for `key`, or "" (for logs). */
  name(key: number): string {
    const at = this.entry(key);
    if (at < 0) return "";
    const names = this.names;
    let s = "";
    for (let i = 0; i < names[at]!; i++) s += String.fromCharCode(names[at + ENTRY_HEAD + i]!);
    return s;
  }

  /** Where `key`'s entry starts, or -1. */
  private entry(key: number): number {
    const names = this.names;
    for (let at = 0; names[at] !== 0; at += ENTRY_HEAD + names[at]!) if (names[at + 1] === key) return at;
    return -1;
  }

  private find(name: string): number {
    const names = this.names;
    for (let at = 0; names[at] !== 0; at += ENTRY_HEAD + names[at]!) {
      if (names[at] !== name.length) continue;
      let i = 0;
      while (i < name.length && names[at + ENTRY_HEAD + i] === (codeAt(name, i) & 0xff)) i++;
      if (i === name.length) return names[at + 1]!;
    }
    return -1;
  }
}
