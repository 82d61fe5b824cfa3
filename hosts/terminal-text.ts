/**
 * Text from outside (the network, the modem, the user) made safe for one terminal line: every
 * character outside printable ASCII is written as an escape, so no control sequence, CR or LF
 * reaches the terminal and no forged line can start.
 */
export function escapeText(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, escapeChar);
}

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  switch (code) {
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
    case 0x1b:
      return "\\e";
    default:
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  }
}

/** `s` as a JSON string with everything beyond ASCII escaped too: still valid JSON, safe to print. */
export function jsonText(s: string): string {
  return escapeBeyondAscii(JSON.stringify(s));
}

/** Escapes what JSON.stringify leaves raw beyond ASCII (C1 controls, bidi overrides, ...) in JSON text. */
export function escapeBeyondAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
