/**
 * `Fields` in XS, on lines in the buffer its spans share (the engine's case): the word paths
 * of `ints` and `parse` give what the byte paths give for the same bytes, wherever a body sits
 * in a word, and allocate nothing.
 */
import { Fields } from "cellmqtt/at/fields";
import { assertEqual, budget, run, test } from "../harness.ts";

const SIZE = 512;
/** Bodies go from here on; the spans take the words before it. */
const BODIES = 256;

class Home {
  readonly bytes = new Uint8Array(SIZE);
  readonly fields = new Fields(new Int32Array(this.bytes.buffer), 0, this.bytes);

  /** Puts `s` at `BODIES + shift` over a fill of `junk`; returns where it starts. */
  put(s: string, shift: number, junk: number): number {
    this.bytes.fill(junk, BODIES);
    return this.place(s, BODIES + shift);
  }

  place(s: string, start: number): number {
    for (let i = 0; i < s.length; i++) this.bytes[start + i] = s.charCodeAt(i) & 0xff;
    return start;
  }

  /** Puts `s` at four places over a fill of `junk`, `stride` + 1 bytes apart (so one at each offset in a word); returns where. */
  placeAligned(s: string, stride: number, junk: number): Int32Array {
    this.bytes.fill(junk, BODIES);
    const starts = new Int32Array(4);
    for (let k = 0; k < 4; k++) starts[k] = this.place(s, BODIES + stride * k + k);
    return starts;
  }
}

const ALPHABET = '0123456789,,,,  ""a()\u0000\u00ff';
const JUNK = [0x2c, 0x22, 0x31, 0x20, 0x00, 0xff];

/** Bodies from a fixed pseudo-random sequence, with the shapes the modem sends among them. */
function bodies(): string[] {
  const out = ["1,1", "23,99", "1,1,18,200", "1,1,18,200,", "1, 0", ",", "", " ", "2147483647,2147483648", "0000000000001,99999999999"];
  out.push('1, 0, "devices/abc/cmd", "{"on":true,"level":42}"', '1,0,"t","a","1","b"', '1,0,"a,b","c, d"x', '(1,2),"host",(1-65535)');
  let x = 0x2545f491;
  for (let k = 0; k < 400; k++) {
    let s = "";
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = (x >>> 0) % 41;
    const digitsOnly = k % 3 === 0;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      s += ALPHABET[(x >>> 0) % (digitsOnly ? 14 : ALPHABET.length)];
    }
    out.push(s);
  }
  return out;
}

test("ints and parse read the same through the words as a byte at a time, at every alignment", () => {
  const home = new Home();
  const plain = new Fields();
  const a = new Int32Array(17);
  const b = new Int32Array(17);
  for (const s of bodies()) {
    const copy = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) copy[i] = s.charCodeAt(i) & 0xff;
    for (let shift = 0; shift < 8; shift++) {
      const start = home.put(s, shift, JUNK[shift % JUNK.length]!);
      const what = `${JSON.stringify(s)} at ${shift}`;
      a.fill(-7);
      b.fill(-7);
      const n = home.fields.ints(home.bytes, start, start + s.length, a);
      assertEqual(n, plain.ints(copy, 0, copy.length, b), `ints count of ${what}`);
      for (let k = 0; k < n && k < 17; k++) assertEqual(a[k], b[k], `ints field ${k} of ${what}`);
      for (const count of [16, 4, 2]) {
        const m = home.fields.parse(home.bytes, start, start + s.length, count);
        assertEqual(m, plain.parse(copy, 0, copy.length, count), `parse count of ${what} (${count})`);
        for (let k = 0; k < m; k++) {
          assertEqual(home.fields.start(k) - start, plain.start(k), `start ${k} of ${what} (${count})`);
          assertEqual(home.fields.end(k) - start, plain.end(k), `end ${k} of ${what} (${count})`);
          assertEqual(home.fields.isQuoted(k), plain.isQuoted(k), `quoted ${k} of ${what} (${count})`);
        }
      }
    }
  }
});

test("message gives what parse with four fields and the accessors give, or declines, at every alignment", () => {
  const home = new Home();
  let taken = 0;
  const shapes = ['1,0,"a/b","hello"', '2, 1, "devices/abc/cmd", "{"on":true,"level":42}"', '1,2,"","x"', '1,0,"a","b","c"'];
  for (const s of shapes.concat(bodies())) {
    for (let shift = 0; shift < 8; shift++) {
      const start = home.put(s, shift, JUNK[shift % JUNK.length]!);
      const end = start + s.length;
      const what = `${JSON.stringify(s)} at ${shift}`;
      const f = home.fields;
      const yes = f.message(home.bytes, start, end);
      assertEqual(f.count, 0, `count after message of ${what}`);
      const got = [f.messageId, f.messageQos, f.topicStart, f.topicEnd, f.payloadStart, f.payloadEnd];
      const n = f.parse(home.bytes, start, end, 4);
      const plain =
        n === 4 && f.int(0) >= 0 && f.int(1) >= 0 && !f.isQuoted(0) && !f.isQuoted(1) && f.isQuoted(2) && f.isQuoted(3) &&
        f.end(3) === end - 1 && home.bytes[end - 1] === 0x22;
      assertEqual(yes, plain, `message taken for ${what}`);
      if (!yes) continue;
      taken++;
      const want = [f.int(0), f.int(1), f.start(2), f.end(2), f.start(3), f.end(3)];
      for (let k = 0; k < 6; k++) assertEqual(got[k], want[k], `message value ${k} of ${what}`);
    }
  }
  assertEqual(taken >= 8 * shapes.length, true, `message took ${taken} bodies`);
});

budget("fields: ints through the words, a body at each alignment in turn", () => {
  const home = new Home();
  const out = new Int32Array(5);
  const body = "1,1,18,200,";
  const starts = home.placeAligned(body, 16, 0x2c);
  const length = body.length;
  return (i) => {
    const start = starts[i & 3]!;
    home.fields.ints(home.bytes, start, start + length, out);
  };
});

budget("fields: a mode-0 +MQTTMSG body parsed, told its four fields (topic searched, payload to the last quote)", () => {
  const home = new Home();
  const body = '1, 0, "devices/abc/cmd", "{"on":true,"level":42}"';
  const start = home.put(body, 1, 0x22);
  const end = start + body.length; // (a string's length, read in the operation, would allocate in XS)
  return () => {
    home.fields.parse(home.bytes, start, end, 4);
    home.fields.int(0);
  };
});

budget("fields: mode-0 +MQTTMSG bodies read in one pass by message, spaced and not, at each alignment in turn", () => {
  const spaced = new Home();
  const spacedStarts = spaced.placeAligned('1, 0, "devices/abc/cmd", "{"on":true,"level":42}"', 64, 0x22);
  const plain = new Home();
  const plainStarts = plain.placeAligned('2,1,"devices/abc/cmd","{"on":true,"level":42}"', 64, 0x22);
  const lengths = new Int32Array([49, 46]); // (a string's length, read in the operation, would allocate in XS)
  return (i) => {
    const h = (i & 4) === 0 ? spaced : plain;
    const start = ((i & 4) === 0 ? spacedStarts : plainStarts)[i & 3]!;
    if (!h.fields.message(h.bytes, start, start + lengths[(i >> 2) & 1]!)) throw new Error("message declined a plain body");
  };
});

budget("fields: a quoted field searched for its closing quote, past a payload's trailing bytes", () => {
  const home = new Home();
  const body = '"a,b" , "c",1,"{"x":1}" x';
  const start = home.put(body, 3, 0x2c);
  const end = start + body.length;
  return () => {
    home.fields.parse(home.bytes, start, end);
    home.fields.parse(home.bytes, start, end, 4);
  };
});

run();
