/** ASCII codes the engine dispatches on. Named so byte comparisons read as what they mean. */
export const NUL = 0x00;
export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const LPAREN = 0x28;
export const RPAREN = 0x29;
export const PLUS = 0x2b;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
export const COLON = 0x3a;
export const PROMPT = 0x3e; // '>'
export const TILDE = 0x7e;

const charCodeAt = String.prototype.charCodeAt;

/**
 * Code unit `i` of `s` without touching a property of the primitive string: in XS,
 * `s.charCodeAt(i)` wraps the string in an object (2 slots); `call` does not.
 */
export function codeAt(s: string, i: number): number {
  return charCodeAt.call(s, i);
}

/** Encodes an ASCII string once, at start-up (allocates; never call on the byte path). */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = codeAt(s, i) & 0xff;
  return out;
}

/** Bytes [start, end) as a string, for logs and user-facing values (allocates). */
export function text(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** True if bytes [start, start + pattern.length) equal `pattern`. */
export function startsWith(bytes: Uint8Array, start: number, end: number, pattern: Uint8Array): boolean {
  const n = pattern.length;
  if (end - start < n) return false;
  for (let i = 0; i < n; i++) if (bytes[start + i] !== pattern[i]) return false;
  return true;
}

/**
 * Walks `s` without reading its `length` (a property of a primitive string, which XS charges an
 * allocation for): returns the length if every character is printable ASCII other than `"` and
 * none is in `alsoRefused`, else -1 - the index of the first that is not.
 */
export function scanQuotable(s: string, alsoRefused1 = -1, alsoRefused2 = -1): number {
  for (let i = 0; ; i++) {
    const c = charCodeAt.call(s, i);
    if (c !== c) return i; // NaN: past the end
    if (c < SPACE || c > TILDE || c === QUOTE || c === alsoRefused1 || c === alsoRefused2) return -1 - i;
  }
}
