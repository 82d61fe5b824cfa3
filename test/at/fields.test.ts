import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Fields } from "cellmqtt/at/fields";
import { bytesOf } from "../support/mock-uart.ts";

function parse(body: string): { f: Fields; all: string[] } {
  const f = new Fields();
  const b = bytesOf(body);
  const n = f.parse(b, 0, b.length);
  return { f, all: Array.from({ length: n }, (_, i) => f.text(i)) };
}

describe("Fields", () => {
  it("splits integers and quoted strings", () => {
    const { f, all } = parse('1,0,"topic1","Test"');
    expect(all).toEqual(["1", "0", "topic1", "Test"]);
    expect([f.int(0), f.int(1), f.int(2)]).toEqual([1, 0, -1]);
    expect([f.isQuoted(1), f.isQuoted(2)]).toEqual([false, true]);
  });

  it("tolerates spaces after commas (+MQTTMSG: 1, 0, \"t\", \"123\")", () => {
    expect(parse('1, 0, "t", "123"').all).toEqual(["1", "0", "t", "123"]);
  });

  it("keeps commas inside quotes and parenthesised lists", () => {
    expect(parse('(1,2),255,(0-2)').all).toEqual(["(1,2)", "255", "(0-2)"]);
    expect(parse('1,0,"a,b","c, d"').all).toEqual(["1", "0", "a,b", "c, d"]);
  });

  it("lets an unescaped final payload contain quotes", () => {
    expect(parse('1,0,"t","he said "hi", ok"').all).toEqual(["1", "0", "t", 'he said "hi", ok']);
  });

  it("told the field count, ends the last quoted field at the line's last quote", () => {
    // Without the count, `","` followed by a number reads as a field boundary.
    const b = bytesOf('1,0,"t","a","1","b"');
    const f = new Fields();
    expect(f.parse(b, 0, b.length)).toBe(6);
    expect(f.parse(b, 0, b.length, 4)).toBe(4);
    expect(f.text(3)).toBe('a","1","b');
  });

  it("keeps empty fields and an empty quoted payload", () => {
    expect(parse('1,,3,""').all).toEqual(["1", "", "3", ""]);
    expect(parse("1,").all).toEqual(["1", ""]);
  });

  it("reads lists and ranges from test-form answers", () => {
    const { f } = parse('(1,2),"host",(1-65535),(0,1),(1-300)');
    expect(f.listIncludes(0, 2)).toBe(true);
    expect(f.listIncludes(0, 3)).toBe(false);
    expect(f.listIncludes(2, 8883)).toBe(true);
    expect(f.upperBound(4)).toBe(300);
    expect(f.upperBound(2)).toBe(65535);
  });

  it("rejects non-numbers as integers", () => {
    const { f } = parse("1a,,99999999999");
    expect([f.int(0), f.int(1), f.int(2), f.int(9)]).toEqual([-1, -1, -1, -1]);
  });

  it("ints agrees with parse and int on every body, integer-only or not", () => {
    const alphabet = ["0", "1", "7", "9", ",", " ", '"', "(", ")", "-", "a"];
    const body = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((a) => a.join(""));
    const numbers = fc.array(fc.oneof(fc.nat(), fc.constant(2 ** 31), fc.constant(99999999999)), { maxLength: 20 }).chain((ns) =>
      fc.constantFrom(",", ", ", " ,", ",  ").map((sep) => ns.join(sep) + (ns.length % 3 === 0 ? " " : "")),
    );
    fc.assert(
      fc.property(fc.oneof(body, numbers), fc.integer({ min: 1, max: 17 }), (text, room) => {
        const b = bytesOf(text);
        const f = new Fields();
        const n = f.parse(b, 0, b.length);
        const expected = Array.from({ length: Math.min(n, room) }, (_, i) => f.int(i));
        const out = new Int32Array(room).fill(-7);
        const m = new Fields().ints(b, 0, b.length, out);
        expect(m).toBe(n);
        expect(Array.from(out.subarray(0, Math.min(n, room)))).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it("splits like the plain quote-by-quote definition, on any mix of quotes, commas and spaces", () => {
    // The definition, written for clarity: a quoted field closes at the first quote followed
    // (after spaces) by a comma and then a quoted field or a number, else at the last quote.
    const reference = (t: string, count = 16): string[] => {
      const out: string[] = [];
      let i = 0;
      while (out.length < 16) {
        while (i < t.length && t[i] === " ") i++;
        if (i >= t.length) {
          if (out.length > 0 && t.endsWith(",")) out.push("");
          break;
        }
        if (t[i] === '"') {
          let close = -1;
          let last = -1;
          // The last of `count` fields runs to the last quote.
          if (out.length === count - 1) close = t.lastIndexOf('"') > i ? t.lastIndexOf('"') : t.length;
          for (let p = i + 1; p < t.length && close < 0; p++) {
            if (t[p] !== '"') continue;
            last = p;
            let q = p + 1;
            while (q < t.length && t[q] === " ") q++;
            if (t[q] !== ",") continue;
            q++;
            while (q < t.length && t[q] === " ") q++;
            if (q >= t.length || t[q] === '"' || (t[q]! >= "0" && t[q]! <= "9")) close = p;
          }
          if (close < 0) close = last >= 0 ? last : t.length;
          out.push(t.slice(i + 1, close));
          i = close + 1;
          while (i < t.length && t[i] !== ",") i++;
        } else {
          const from = i;
          let depth = 0;
          for (; i < t.length; i++) {
            if (t[i] === "," && depth <= 0) break;
            if (t[i] === "(") depth++;
            else if (t[i] === ")") depth--;
          }
          out.push(t.slice(from, i).replace(/ +$/, ""));
        }
        if (i >= t.length) break;
        i++;
        if (i >= t.length) {
          out.push("");
          break;
        }
      }
      return out;
    };
    // The engine's Fields views the line's own buffer and scans it four bytes per step: the
    // same definition must hold there, wherever in a word the body starts.
    const buffer = new Uint8Array(256);
    const wordwise = new Fields(new Int32Array(buffer.buffer), 0, buffer);
    const inBuffer = (t: string, at: number, count?: number): string[] => {
      const b = bytesOf(t);
      buffer.fill(0x2c, 4 * 48); // commas around the body, which must not be read
      buffer.set(b, 4 * 48 + at);
      const n = wordwise.parse(buffer, 4 * 48 + at, 4 * 48 + at + b.length, count);
      return Array.from({ length: n }, (_, i) => wordwise.text(i));
    };
    const text = fc.array(fc.constantFrom('"', '"', ",", ",", " ", "1", "a", "{", ":"), { maxLength: 30 }).map((a) => a.join(""));
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5 }), (t, at, count) => {
        const expected = reference(t);
        expect(parse(t).all).toEqual(expected);
        expect(inBuffer(t, at)).toEqual(expected);
        // Told how many fields there are, the last of them closes at the line's last quote.
        expect(inBuffer(t, at, count)).toEqual(reference(t, count));
      }),
      { numRuns: 5000 },
    );
  });
});
