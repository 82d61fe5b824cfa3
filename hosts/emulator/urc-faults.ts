/**
 * The lost- and duplicated-URC faults: counters by URC kind (`+MQTTPUB`, `RDY`, ...) consulted
 * each time the modem is about to send an unsolicited line. A loss is taken before a duplicate
 * when both are armed for the same line.
 */
import { toText } from "./bytes.ts";

export class UrcFaults {
  private readonly lose = new Map<string, number>();
  private readonly dup = new Map<string, number>();
  /** URCs dropped and repeated so far, by kind, so a test can tell what was done. */
  readonly lost: string[] = [];
  readonly duplicated: string[] = [];

  arm(kind: "lose" | "dup", urc: string, count = 1): void {
    const map = kind === "lose" ? this.lose : this.dup;
    map.set(urc, (map.get(urc) ?? 0) + count);
  }

  /** How many times this URC goes out: 0 (lost), 1, or 2 (duplicated). */
  times(text: string | Uint8Array): number {
    const kind = kindOf(typeof text === "string" ? text : toText(text.subarray(0, 16)));
    if (this.take(this.lose, kind)) {
      this.lost.push(kind);
      return 0;
    }
    if (this.take(this.dup, kind)) {
      this.duplicated.push(kind);
      return 2;
    }
    return 1;
  }

  clear(): void {
    this.lose.clear();
    this.dup.clear();
  }

  private take(map: Map<string, number>, kind: string): boolean {
    for (const key of [kind, "any"]) {
      const n = map.get(key) ?? 0;
      if (n <= 0) continue;
      if (n === 1) map.delete(key);
      else map.set(key, n - 1);
      return true;
    }
    return false;
  }
}

/** `+MQTTPUB: 1,1` -> `+MQTTPUB`; `RDY` -> `RDY`; `ERROR: 703` -> `ERROR`. */
export function kindOf(line: string): string {
  const colon = line.indexOf(":");
  return (colon < 0 ? line : line.slice(0, colon)).trim().toUpperCase();
}
