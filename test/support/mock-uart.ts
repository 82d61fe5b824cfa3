import type { TxPort } from "cellmqtt/at/port";

/** Records what the engine writes; tests read it as text or bytes. */
export class MockUart implements TxPort {
  readonly writes: Uint8Array[] = [];

  write(bytes: Uint8Array, offset: number, length: number): void {
    this.writes.push(bytes.slice(offset, offset + length));
  }

  /** Everything written so far, as one byte array. */
  bytes(): Uint8Array {
    const total = this.writes.reduce((n, w) => n + w.length, 0);
    const out = new Uint8Array(total);
    let p = 0;
    for (const w of this.writes) {
      out.set(w, p);
      p += w.length;
    }
    return out;
  }

  /** Everything written so far, as latin1 text. */
  text(): string {
    return Buffer.from(this.bytes()).toString("latin1");
  }

  clear(): void {
    this.writes.length = 0;
  }
}

/** Latin1 text to bytes: transcripts are written as strings, every char one byte. */
export function bytesOf(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "latin1"));
}

/** Splits `data` at the given cut points (sorted, inside the data). */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    if (cut <= from || cut >= data.length) continue;
    parts.push(data.subarray(from, cut));
    from = cut;
  }
  parts.push(data.subarray(from));
  return parts;
}
