/**
 * `Fields` reads lines in the engine's buffer through a word view of it, four bytes per read.
 * Whatever a body holds and wherever it sits in a word, the results must be those of the plain
 * definition below, byte for byte, and those of a `Fields` that reads another array a byte at
 * a time; bytes around the body, in the same words, must make no difference.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Fields } from "cellmqtt/at/fields";

/** A field's range in the body, and whether it was quoted. */
interface Field {
  start: number;
  end: number;
  quoted: boolean;
}

const MAX_FIELDS = 16;

/**
 * The split, written for clarity: fields separated by commas outside parentheses and quotes,
 * spaces around unquoted fields dropped; a quoted field closes at the first quote followed
 * (after spaces) by a comma and then a quoted field, a number or the end, else at the last
 * quote; the last of `count` fields, if quoted, at the line's last quote. At most 16 fields.
 */
function split(t: string, count = MAX_FIELDS): Field[] {
  const out: Field[] = [];
  let i = 0;
  while (out.length < MAX_FIELDS) {
    while (t[i] === " ") i++;
    if (i >= t.length) break;
    if (t[i] === '"') {
      const lastQuote = t.lastIndexOf('"') > i ? t.lastIndexOf('"') : t.length;
      let close = lastQuote;
      if (out.length !== count - 1) {
        for (let p = t.indexOf('"', i + 1); p >= 0; p = t.indexOf('"', p + 1)) {
          if (/^ *, *($|"|[0-9])/.test(t.slice(p + 1))) {
            close = p;
            break;
          }
        }
      }
      out.push({ start: i + 1, end: close, quoted: true });
      i = close + 1;
      while (i < t.length && t[i] !== ",") i++;
    } else {
      const from = i;
      for (let depth = 0; i < t.length && (t[i] !== "," || depth > 0); i++) depth += t[i] === "(" ? 1 : t[i] === ")" ? -1 : 0;
      out.push({ start: from, end: from + t.slice(from, i).replace(/ +$/, "").length, quoted: false });
    }
    if (i >= t.length || out.length === MAX_FIELDS) break;
    if (++i === t.length) out.push({ start: i, end: i, quoted: false }); // a comma ends the line
  }
  return out;
}

/** A field as a non-negative decimal integer, or -1. */
function int(s: string): number {
  return /^[0-9]+$/.test(s) && Number(s) <= 0x7fffffff ? Number(s) : -1;
}

function bytesOf(t: string): Uint8Array {
  return Uint8Array.from(t, (ch) => ch.charCodeAt(0));
}

// The home buffer: spans in its first 128 bytes, bodies placed in the rest.
const SIZE = 256;
const BODIES = 128;
const buffer = new Uint8Array(SIZE);
const wordwise = new Fields(new Int32Array(buffer.buffer), 0, buffer);
const bytewise = new Fields();

/** Where a body of `length` bytes goes: at `shift` into a word, ending on a word boundary, or at the buffer's very end. */
type Place = { kind: "shift"; shift: number } | { kind: "endAligned" } | { kind: "bufferEnd" };

function startOf(place: Place, length: number): number {
  if (place.kind === "shift") return BODIES + 4 + place.shift;
  if (place.kind === "endAligned") return BODIES + 8 - (length % 4);
  return SIZE - length;
}

/** Puts `body` in the home buffer over a fill of `junk` (read by the words but not part of the line). */
function put(body: Uint8Array, place: Place, junk: number): number {
  buffer.fill(junk, BODIES);
  const start = startOf(place, body.length);
  buffer.set(body, start);
  return start;
}

/** The fields `f` found, relative to the body's start. */
function fieldsOf(f: Fields, n: number, start: number): Field[] {
  return Array.from({ length: n }, (_, i) => ({ start: f.start(i) - start, end: f.end(i) - start, quoted: f.isQuoted(i) }));
}

/** Each field's text as an integer, as `Fields.int` reads it. */
function ints(t: string, fields: Field[]): number[] {
  return fields.map((f) => int(t.slice(f.start, f.end)));
}

const place: fc.Arbitrary<Place> = fc.oneof(
  fc.integer({ min: 0, max: 3 }).map((shift): Place => ({ kind: "shift", shift })),
  fc.constant<Place>({ kind: "endAligned" }),
  fc.constant<Place>({ kind: "bufferEnd" }),
);
/** Bytes around a body: ones the fast paths look for, and ones they must reject. */
const junk = fc.constantFrom(0x2c, 0x22, 0x31, 0x30, 0x20, 0x00, 0xff, 0x61);
const chars = (alphabet: string[], maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { maxLength }).map((a) => a.join(""));
/** Digits, commas, spaces, quotes and other bytes, including NUL, 0x80 and 0xFF. */
const anyBody = chars(["0", "1", "7", "9", ",", ",", " ", '"', '"', "(", ")", "-", "a", "{", ":", "\u0000", "\u0080", "\u00ff"], 40);
/** What `ints` takes the word path for: digits and commas only. */
const intBody = chars(["0", "1", "2", "5", "9", ",", ","], 60);
/** Integer lists as modems send them, values of every size, some with spaces. */
const numbers = fc
  .array(fc.oneof(fc.nat(), fc.nat(999), fc.constant(2 ** 31 - 1), fc.constant(2 ** 31), fc.constant(99999999999), fc.constant(0)), { maxLength: 20 })
  .chain((ns) => fc.constantFrom(",", ", ", " ,", ",,").map((sep) => ns.join(sep) + (ns.length % 3 === 0 ? "," : "")));
/** Long runs of commas: sixteen fields and more. */
const manyFields = chars([",", ",", ",", "1", "12"], 40);
/** `+MQTTMSG` bodies: two integers, a topic and a payload with quotes and commas in it. */
const message = fc
  .tuple(fc.nat(2), fc.nat(2), chars(["a", "/", "1", '"', ",", " "], 20), chars(['"', ",", ":", "{", "}", "1", "x", " "], 60), fc.constantFrom("", " ", '"', "x"))
  .map(([id, qos, topic, payload, tail]) => `${id}, ${qos}, "${topic}", "${payload}"${tail}`);

describe("Fields through the word view of the engine's buffer", () => {
  it("ints: the plain definition's count and integers, at every alignment", () => {
    fc.assert(
      fc.property(fc.oneof(anyBody, intBody, intBody, numbers, manyFields), place, junk, fc.integer({ min: 1, max: 17 }), (t, at, fill, room) => {
        const body = bytesOf(t);
        const start = put(body, at, fill);
        const expected = ints(t, split(t));
        const out = new Int32Array(room).fill(-7);
        expect(wordwise.ints(buffer, start, start + body.length, out)).toBe(expected.length);
        expect(Array.from(out.subarray(0, Math.min(expected.length, room)))).toEqual(expected.slice(0, room));
        // The byte path agrees, and neither looks outside the body.
        const again = new Int32Array(room).fill(-7);
        expect(bytewise.ints(body, 0, body.length, again)).toBe(expected.length);
        expect(Array.from(again.subarray(0, Math.min(expected.length, room)))).toEqual(expected.slice(0, room));
      }),
      { numRuns: 6000 },
    );
  });

  it("parse: the plain definition's fields, told the count or not, at every alignment", () => {
    fc.assert(
      fc.property(fc.oneof(anyBody, message, manyFields), place, junk, fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), (t, at, fill, count) => {
        const body = bytesOf(t);
        const start = put(body, at, fill);
        const expected = split(t, count);
        const n = wordwise.parse(buffer, start, start + body.length, count);
        expect(fieldsOf(wordwise, n, start)).toEqual(expected);
        expect(Array.from({ length: n }, (_, i) => wordwise.int(i))).toEqual(ints(t, expected));
        expect(Array.from({ length: n }, (_, i) => wordwise.length(i))).toEqual(expected.map((f) => f.end - f.start));
        expect(bytewise.parse(body, 0, body.length, count)).toBe(n);
        expect(fieldsOf(bytewise, n, 0)).toEqual(expected);
      }),
      { numRuns: 6000 },
    );
  });

  it("ints leaves no ranges behind: after it, the per-field accessors see no fields", () => {
    const body = bytesOf('1,2,"a"');
    const start = put(body, { kind: "shift", shift: 1 }, 0x2c);
    expect(wordwise.parse(buffer, start, start + body.length)).toBe(3);
    expect(wordwise.ints(buffer, start, start + 3, new Int32Array(4))).toBe(2);
    expect([wordwise.count, wordwise.int(0), wordwise.length(0), wordwise.isQuoted(2)]).toEqual([0, -1, -1, false]);
  });

  it("stops at sixteen fields, even when a comma ends the line", () => {
    const t = ",".repeat(16);
    const body = bytesOf(t);
    for (const shift of [0, 1, 2, 3]) {
      const start = put(body, { kind: "shift", shift }, 0x2c);
      expect(wordwise.parse(buffer, start, start + body.length)).toBe(16);
      expect(wordwise.ints(buffer, start, start + body.length, new Int32Array(20))).toBe(16);
      // Nothing past the sixteenth field's range is written: the buffer after the spans is untouched.
      expect(buffer.subarray(BODIES, start).every((b) => b === 0x2c)).toBe(true);
    }
  });
});
