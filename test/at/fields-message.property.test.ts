/**
 * `Fields.message` reads a mode-0 `+MQTTMSG` body in one pass. Wherever it says yes, its six
 * values must be what the general path gives (`parse(…, 4)`, then `int`, `start`, `end`); and it
 * must say yes for every body that path reads as the plain shape, so callers fall back only for
 * the odd ones. Checked on bodies placed at every alignment of a word-viewed buffer, and on
 * lines as the engine frames them in its own buffer.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AtEngine, type LineHandler } from "cellmqtt/at/engine";
import { Fields } from "cellmqtt/at/fields";
import { FakeClock } from "../support/fake-clock.ts";
import { MockUart } from "../support/mock-uart.ts";

const QUOTE = 0x22;

/** The general path's reading: [id, qos, topic start, topic end, payload start, payload end] and whether it is the plain shape. */
function general(f: Fields, bytes: Uint8Array, start: number, end: number): { values: number[]; plain: boolean } {
  const n = f.parse(bytes, start, end, 4);
  const values = [f.int(0), f.int(1), f.start(2), f.end(2), f.start(3), f.end(3)];
  // Two unquoted numbers, a quoted topic, and a quoted payload closed by the line's last byte.
  const plain =
    n === 4 && values[0]! >= 0 && values[1]! >= 0 && !f.isQuoted(0) && !f.isQuoted(1) && f.isQuoted(2) && f.isQuoted(3) &&
    values[5] === end - 1 && bytes[end - 1] === QUOTE;
  return { values, plain };
}

/** `message`'s answer and values ([] when it says no); `count` must be 0 after it. */
function fast(f: Fields, bytes: Uint8Array, start: number, end: number): number[] {
  const yes = f.message(bytes, start, end);
  expect(f.count).toBe(0);
  return yes ? [f.messageId, f.messageQos, f.topicStart, f.topicEnd, f.payloadStart, f.payloadEnd] : [];
}

const chars = (alphabet: string[], maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { maxLength }).map((a) => a.join(""));
const spaces = fc.constantFrom("", "", "", " ", "  ");
/** Numbers as modems send them, and ones that are not numbers to `int`. */
const number = fc.oneof(
  { weight: 6, arbitrary: fc.nat(9).map(String) },
  fc.nat().map(String),
  fc.constantFrom("2147483647", "2147483648", "99999999999", "007", "", "1 2", "(1)", '"1"', "-1", "a"),
);
const topic = chars(["a", "/", "1", "+", "#", '"', ",", " ", "x"], 24);
/** Any byte but CR and LF (mode 0 cannot carry those), quotes, commas, digits and spaces often. */
const payloadByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0x22, 0x2c, 0x20, 0x31, 0x7b, 0x7d, 0x3a) },
  fc.integer({ min: 0, max: 255 }).filter((b) => b !== 0x0a && b !== 0x0d),
);
const payload = fc.array(payloadByte, { maxLength: 90 }).map((a) => String.fromCharCode(...a));
const tail = fc.constantFrom("", "", "", "", '"', "x", " ", ",1", '","z"', ",");
const head = fc.constantFrom('"', '"', '"', '"', "", "x");

/** A mode-0 body: `<id>,<qos>,"<topic>","<payload>"`, with spaces, odd numbers and trailing bytes thrown in. */
const odd = fc
  .tuple(spaces, number, spaces, spaces, number, spaces, spaces, head, topic, spaces, spaces, head, payload, tail)
  .map(([s0, id, s1, s2, qos, s3, s4, q0, t, s5, s6, q1, p, end]) => `${s0}${id}${s1},${s2}${qos}${s3},${s4}${q0}${t}"${s5},${s6}${q1}${p}"${end}`);

/** The forms modems send: the manual's, and one with a space after each comma. */
const usual = fc
  .tuple(fc.nat(9), fc.nat(9), fc.constantFrom(",", ", "), topic, payload, tail)
  .map(([id, qos, sep, t, p, end]) => `${id}${sep}${qos}${sep}"${t}"${sep}"${p}"${end}`);
const body = fc.oneof(odd, usual);

function bytesOf(t: string): Uint8Array {
  return Uint8Array.from(t, (ch) => ch.charCodeAt(0));
}

// A buffer as the engine has it: the spans in its first words, lines in the rest.
const SIZE = 512;
const LINES = 128;
const buffer = new Uint8Array(SIZE);
const fields = new Fields(new Int32Array(buffer.buffer), 0, buffer);

describe("Fields.message: the general path's values in one pass", () => {
  it("agrees with parse + int/start/end, and takes every plain body, at every alignment over any neighbouring bytes", () => {
    let taken = 0;
    fc.assert(
      fc.property(body, fc.nat(SIZE - LINES - 256), fc.constantFrom(0x22, 0x2c, 0x20, 0x31, 0x00, 0xff), (t, offset, junk) => {
        const line = bytesOf(t);
        buffer.fill(junk, LINES);
        const start = LINES + offset;
        buffer.set(line, start);
        const end = start + line.length;
        const got = fast(fields, buffer, start, end);
        const want = general(fields, buffer, start, end);
        expect(got).toEqual(want.plain ? want.values : []);
        if (got.length > 0) taken++;
      }),
      { numRuns: 8000 },
    );
    expect(taken).toBeGreaterThan(1000); // the plain shape is common among the bodies, not a corner
  });

  it("reads a body in any array, not only the engine's buffer", () => {
    const line = bytesOf('1,0,"t","p"');
    for (const f of [fields, new Fields()]) {
      expect(f.message(line, 0, line.length)).toBe(true);
      expect([f.messageId, f.messageQos, f.topicStart, f.topicEnd, f.payloadStart, f.payloadEnd]).toEqual([1, 0, 5, 6, 9, 10]);
    }
  });

  it("reads the plain shapes of the manual and of modems that space their fields", () => {
    const cases: [string, number[]][] = [
      ['1,0,"a/b","hello"', [1, 0, 5, 8, 11, 16]],
      ['2, 1, "devices/abc/cmd", "{"on":true,"level":42}"', [2, 1, 7, 22, 26, 48]],
      ['1,2,"","x"', [1, 2, 5, 5, 8, 9]],
      ['1,0,"t",""', [1, 0, 5, 6, 9, 9]],
      ['1,0,"a","b","c"', [1, 0, 5, 6, 9, 14]], // the payload runs to the last quote
    ];
    for (const [t, values] of cases) {
      const line = bytesOf(t);
      for (let shift = 0; shift < 4; shift++) {
        const start = LINES + shift;
        buffer.fill(0x22, LINES);
        buffer.set(line, start);
        expect(fast(fields, buffer, start, start + line.length)).toEqual(values.map((v, i) => (i < 2 ? v : v + start)));
      }
    }
  });
});

/** Compares both paths on each `+MQTTMSG` line the engine hands over. */
class Checker implements LineHandler {
  readonly engine = new AtEngine({ tx: new MockUart(), clock: new FakeClock() });
  readonly seen: { got: number[]; want: number[] }[] = [];

  constructor() {
    this.engine.listen(this.engine.token("+MQTTMSG"), this);
  }

  onLine(_key: number, bytes: Uint8Array, body: number, end: number): void {
    expect(bytes).toBe(this.engine.bytes);
    const f = this.engine.fields;
    const got = fast(f, bytes, body, end);
    const want = general(f, bytes, body, end);
    this.seen.push({ got, want: want.plain ? want.values : [] });
  }
}

describe("Fields.message on lines in the engine's own buffer", () => {
  it("agrees with the general path wherever the ring puts a line, whatever the reads", () => {
    let taken = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(body, fc.nat(7)), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        (lines, read) => {
          const c = new Checker();
          // An unheard line of 0-7 bytes before each one moves it to every offset within a word.
          const input = bytesOf(lines.map(([t, pad]) => `\r\n+X: ${"y".repeat(pad)}\r\n\r\n+MQTTMSG: ${t}\r\n`).join(""));
          for (let at = 0; at < input.length; at += read) c.engine.receive(input, at, Math.min(read, input.length - at));
          expect(c.seen.length).toBe(lines.length);
          for (const s of c.seen) expect(s.got).toEqual(s.want);
          taken += c.seen.filter((s) => s.got.length > 0).length;
        },
      ),
      { numRuns: 1500 },
    );
    expect(taken).toBeGreaterThan(1000);
  });
});
