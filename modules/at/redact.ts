import { COMMA, QUOTE, SPACE, ascii, text } from "./bytes.ts";

/** What a log shows in place of a secret. */
export const REDACTED = "<redacted>";

const TOKEN = ascii("+MQTTUSER");
const EQUALS = 0x3d;
const QUESTION = 0x3f;

/**
 * Where the secret starts in `bytes[start, end)`, or -1 if the line holds none. A line holding
 * `+MQTTUSER` anywhere (the command, its echo after stray bytes, the answer to `AT+MQTTUSER?`)
 * carries a password after its user name: the secret starts after the user name's closing
 * quote and the comma that follows it. When the user name cannot be found, everything after the
 * client id is secret. The query and test forms (`AT+MQTTUSER?`, `=?`) carry none.
 */
export function secretAt(bytes: Uint8Array, start: number, end: number): number {
  const at = find(bytes, start, end);
  if (at < 0) return -1;
  let p = at + TOKEN.length;
  if (bytes[p] === QUESTION || (bytes[p] === EQUALS && bytes[p + 1] === QUESTION)) return -1;
  // `=` or `:`, spaces, the client id, its comma.
  while (p < end && bytes[p] !== COMMA) p++;
  if (p >= end) return -1;
  p++;
  while (p < end && bytes[p] === SPACE) p++;
  if (p >= end || bytes[p] !== QUOTE) return p;
  p++;
  while (p < end && bytes[p] !== QUOTE) p++;
  if (p >= end) return end;
  p++;
  return p < end && bytes[p] === COMMA ? p + 1 : p;
}

/** `bytes[start, end)` as text for a log line, everything from a secret on shown as REDACTED. */
export function lineText(bytes: Uint8Array, start: number, end: number): string {
  const cut = secretAt(bytes, start, end);
  return cut < 0 ? text(bytes, start, end) : text(bytes, start, cut) + REDACTED;
}

/** `line` for a log: `AT+MQTTUSER=1,"user","pw","id"` becomes `AT+MQTTUSER=1,"user",<redacted>`. */
export function redact(line: string): string {
  const bytes = ascii(line);
  const cut = secretAt(bytes, 0, bytes.length);
  return cut < 0 ? line : line.slice(0, cut) + REDACTED;
}

/** Index of `+MQTTUSER` (any letter case, as the modem takes commands) in the range, or -1. */
function find(bytes: Uint8Array, start: number, end: number): number {
  const n = TOKEN.length;
  for (let i = start; i + n <= end; i++) {
    let k = 0;
    // `| 0x20` folds letters to lower case; `+` and the token's letters are all it compares.
    while (k < n && (bytes[i + k]! | 0x20) === (TOKEN[k]! | 0x20)) k++;
    if (k === n) return i;
  }
  return -1;
}
