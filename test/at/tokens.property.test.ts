import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tokenKey } from "../../modules/at/kernels.ts";
import { TokenTable } from "../../modules/at/tokens.ts";

/**
 * A line's key, found by `tokenKey` in the table's names: whatever the line's place in the
 * buffer, the token's length (up to the 24 bytes a token may have, and past them), the bytes
 * after the token and the bytes around the line, it must be exactly what a plain string
 * compare finds.
 */
describe("token lookup, against a plain reference", () => {
  const DIALECT = ["OK", "ERROR", "+CME ERROR", "+CMS ERROR", "+CSQ", "RDY", "+MQTTPUB", "+MQTTMSG", "+MQTTMSGI", "+MQTTREAD",
    "+MQTTUNSUB", "+MQTTCLOSE", "+MIPCALL", "+CEREG"];
  const tokenChar = fc.constantFrom("+", "M", "Q", "T", "P", "U", "B", "S", "G", "I", "A", "E", "R", "O", "K", " ", "a", "0", "\u007f", "\u00ff");
  const word = fc.array(tokenChar, { minLength: 1, maxLength: 24 }).map((a) => a.join(""));
  const registered = fc.uniqueArray(fc.oneof(fc.constantFrom(...DIALECT), word), { minLength: 1, maxLength: 30 });
  const tail = fc.array(fc.constantFrom(":", " ", "1", ",", '"', "\u0000", "\u00ff", "x"), { maxLength: 12 }).map((a) => a.join(""));

  /** The token the manual's line form gives: the text before the first colon within 24 bytes, or a short colon-free line. */
  function reference(line: string, names: string[]): { key: number; body: number } {
    const colon = line.slice(0, 24).indexOf(":");
    if (colon < 0) return { key: line.length <= 24 ? names.indexOf(line) : -1, body: 0 };
    let body = colon + 1;
    while (body < line.length && line[body] === " ") body++;
    return { key: names.indexOf(line.slice(0, colon)), body };
  }

  it("finds the same key and body at every alignment", () => {
    fc.assert(
      fc.property(
        registered,
        fc.oneof(fc.constantFrom(...DIALECT), word),
        tail,
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (names, token, rest, offset, noise) => {
          const bytes = new Uint8Array(128);
          const table = new TokenTable();
          const keys = names.map((n) => table.register(n));
          expect(keys).toEqual(names.map((_, i) => i));
          // Bytes before the line (in its first word) and after it are anything.
          bytes.set(noise, 16);
          bytes.fill(0x3a, 24 + offset + token.length + rest.length);
          const line = token + rest;
          const start = 24 + offset;
          for (let i = 0; i < line.length; i++) bytes[start + i] = line.charCodeAt(i);
          const want = reference(line, names);
          // Each key routed to a handler of its own but the last (none).
          keys.forEach((k) => table.route(k, k === keys.length - 1 ? 0 : k + 1));
          const r = tokenKey(bytes, start, start + line.length, table.names);
          expect((r & 0xff) - 1).toBe(want.key);
          expect((r >> 8) & 0xff).toBe(want.key < 0 || want.key === keys.length - 1 ? 0 : want.key + 1);
          expect((r >> 16) - start).toBe(want.body);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives each registered name back by its key, and the same key for the same name", () => {
    const table = new TokenTable();
    const keys = DIALECT.map((n) => table.register(n));
    expect(DIALECT.map((n) => table.register(n))).toEqual(keys);
    expect(keys.map((k) => table.name(k))).toEqual(DIALECT);
    expect(() => table.register("+A:B")).toThrow(/not an AT token/);
    expect(() => table.register("x".repeat(25))).toThrow(/not an AT token/);
  });

  it("keeps each key's route, which a name registered later leaves alone", () => {
    const table = new TokenTable();
    const keys = DIALECT.map((n) => table.register(n));
    table.route(keys[3]!, 7);
    table.route(keys[0]!, 1);
    table.register("+LATER");
    expect(keys.map((k) => table.routeOf(k))).toEqual(keys.map((k) => (k === keys[3] ? 7 : k === keys[0] ? 1 : 0)));
    expect(keys.map((k) => table.name(k))).toEqual(DIALECT);
  });
});
