/**
 * Byte helpers. The AT dialect is 8-bit transparent inside quoted strings and data phases, so
 * every conversion between text and bytes here uses latin1: one char per byte, no UTF-8 surprises.
 */

export type Bytes = Uint8Array;

export function latin1(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

export function toText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

export function concat(parts: readonly (Uint8Array | string)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? latin1(p) : p)));
}

/** Printable ASCII as the manual defines it for topics and quoted payloads. */
export function isPrintable(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x20 || b > 0x7e) return false;
  return true;
}
