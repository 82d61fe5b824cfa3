/**
 * The engine's kernels in C (modules/at/native/kernels.c, compiled into this host as into a
 * Moddable build) against their TypeScript (modules/at/kernels.ts, what Node runs): the same
 * result and the same line state for every input of a fixed pseudo-random sequence, cut into
 * reads at random, with and without a record prefix and a wanted prompt. And the C refuses
 * offsets outside the buffer instead of reading past it.
 */
import * as ts from "../../../modules/at/kernels.ts";
import {
  FRAMED_DROPPED,
  FRAMED_NOTHING,
  FRAMED_RECORD,
  FRAMED_UNJOINED,
  STATE_BASE,
  STATE_DISCARDING,
  STATE_DROPPED,
  STATE_FEEDING,
  STATE_RAW_LEFT,
  STATE_RAW_SKIP,
  STATE_HEAD,
  STATE_LINES,
  STATE_LIMIT,
  STATE_TAIL,
  STATE_UNJOINED,
  STATE_PREFIX,
  STATE_PREFIX_LENGTH,
  STATE_PROMPT_WANTED,
  STATE_RECORD,
  STATE_SCANNED,
  STATE_WORDS,
  RECORD_UNDECIDED,
} from "../../../modules/at/kernel-abi.ts";
import * as native from "../support/native-kernels.ts";
import { assert, assertEqual, budget, run, test } from "../harness.ts";

type Kernels = typeof ts;

let seed = 0x9e3779b9 | 0;
function random(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

function codes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  return out;
}

/** Bytes the framer tells apart, weighted towards what the modem sends. */
const PIECES = ["\r\n", "\r", "\n", " ", ">", '"', "+MQTTREAD:", "+MQTTREAD: 1,", "+MQTTRE", "+MQTTPUB: 1,1", "OK", "x", "1", ",", "\u0000", "\u00ff", "+", "z".repeat(70)];
const STATE_AT = 4;
/** Where reads are staged, outside the ring, as the engine's stage is. */
const STAGE_AT = 96;
const RING_AT = 128;
/** A small ring, so that reads make it compact, and long lines fill it. */
const RING_LIMIT = RING_AT + 160;
const SIZE = 1024;

/** One kernel set's buffer, with the scanner's state at STATE_AT. */
class Side {
  readonly bytes = new Uint8Array(SIZE);
  readonly words = new Int32Array(this.bytes.buffer);
  constructor(readonly k: Kernels) {
    const w = this.words;
    w[STATE_AT + STATE_RECORD] = RECORD_UNDECIDED;
    w[STATE_AT + STATE_HEAD] = w[STATE_AT + STATE_TAIL] = w[STATE_AT + STATE_BASE] = RING_AT;
    w[STATE_AT + STATE_LIMIT] = RING_LIMIT;
  }
  prefix(p: number[]): void {
    for (let i = 0; i < p.length; i++) this.bytes[((STATE_AT + STATE_PREFIX) << 2) + i] = p[i]!;
    this.words[STATE_AT + STATE_PREFIX_LENGTH] = p.length;
  }
  /** The state, and the live bytes of the ring. */
  state(): string {
    const w = this.words;
    const head = w[STATE_AT + STATE_HEAD]!;
    const tail = w[STATE_AT + STATE_TAIL]!;
    const line = `${w[STATE_AT + STATE_SCANNED]},${w[STATE_AT + STATE_RECORD]},${w[STATE_AT + STATE_PROMPT_WANTED]}`;
    const raw = `${w[STATE_AT + STATE_RAW_LEFT]},${w[STATE_AT + STATE_RAW_SKIP]},${w[STATE_AT + STATE_DISCARDING]},${w[STATE_AT + STATE_DROPPED]}`;
    const counted = `${w[STATE_AT + STATE_LINES]} lines, feeding ${w[STATE_AT + STATE_FEEDING]}`;
    return `${head},${tail},${line},${raw},${counted}: ${Array.from(this.bytes.subarray(head, tail)).join(" ")}`;
  }
}

test("joinInput and frameNext: C and TypeScript join and frame the same, in any reads", () => {
  let lines = 0;
  let prompts = 0;
  let records = 0;
  let pieces = 0;
  let skipped = 0;
  let compactions = 0;
  let overflows = 0;
  for (let round = 0; round < 300; round++) {
    const input: number[] = [];
    while (input.length < 1000) input.push(...codes(PIECES[random(PIECES.length)]!));
    const a = new Side(native);
    const b = new Side(ts);
    if (round % 4 !== 0) {
      a.prefix(codes("+MQTTREAD:"));
      b.prefix(codes("+MQTTREAD:"));
    }
    for (let at = 0; at < input.length; ) {
      let from = STAGE_AT;
      let count = Math.min(1 + random(32), input.length - at);
      for (const s of [a, b]) for (let i = 0; i < count; i++) s.bytes[STAGE_AT + i] = input[at + i]!;
      at += count;
      if (random(3) === 0) {
        a.words[STATE_AT + STATE_PROMPT_WANTED] = 1;
        b.words[STATE_AT + STATE_PROMPT_WANTED] = 1;
      }
      // As the scanner's feed does: join what fits, frame all that can be, join the rest.
      for (;;) {
        const what = `round ${round}, input ${at}`;
        const headBefore = a.words[STATE_AT + STATE_HEAD]!;
        const tailBefore = a.words[STATE_AT + STATE_TAIL]!;
        let r = a.k.joinInput(a.bytes, a.words, STATE_AT, from, count);
        assertEqual(r, b.k.joinInput(b.bytes, b.words, STATE_AT, from, count), `joinInput result at ${what}`);
        assertEqual(a.state(), b.state(), `state after joinInput at ${what}`);
        const left = a.words[STATE_AT + STATE_UNJOINED]!;
        assertEqual(left, b.words[STATE_AT + STATE_UNJOINED], `bytes unjoined at ${what}`);
        // The live bytes moved back to the ring's start, the new ones after them.
        const live = tailBefore - headBefore;
        if (live > 0 && headBefore > RING_AT && a.words[STATE_AT + STATE_TAIL] === RING_AT + live + count - left) compactions++;
        for (;;) {
          if (r === FRAMED_NOTHING || r === FRAMED_UNJOINED) {
            // Once all is framed, what did not join is still to.
            assertEqual(r === FRAMED_UNJOINED, left > 0, `the end of the framing at ${what}`);
            // The read is framed once nothing is left of it to join.
            assertEqual(a.words[STATE_AT + STATE_FEEDING], r === FRAMED_NOTHING ? 0 : 1, `feeding at ${what}`);
            break;
          }
          if (r === FRAMED_DROPPED) overflows++;
          else if (r < FRAMED_UNJOINED) {
            const piece = ~r;
            assertEqual(a.words[STATE_AT + STATE_HEAD], piece & 0x7fff, `head after the piece at ${what}`);
            if (piece >>> 16 === (piece & 0x7fff)) skipped++;
            else pieces++;
          } else if (r < 0x10000) prompts++;
          else {
            lines++;
            // A record header leaves its quote at the head.
            assertEqual(a.words[STATE_AT + STATE_HEAD], (r & FRAMED_RECORD) !== 0 ? r & 0x7fff : (r & 0x7fff) + 1, `head after the line at ${what}`);
            if ((r & FRAMED_RECORD) !== 0 || random(8) === 0) {
              // A length-bound read follows, as a record reader asks for one (after a line that
              // ended at a line end, skipping the line ends before it).
              if ((r & FRAMED_RECORD) !== 0) records++;
              const due = 1 + random(60);
              const skip = (r & FRAMED_RECORD) === 0 ? 1 : 0;
              for (const side of [a, b]) {
                side.words[STATE_AT + STATE_RAW_LEFT] = due;
                side.words[STATE_AT + STATE_RAW_SKIP] = skip;
              }
            }
          }
          r = a.k.frameNext(a.bytes, a.words, STATE_AT);
          assertEqual(r, b.k.frameNext(b.bytes, b.words, STATE_AT), `frameNext result at ${what}`);
          assertEqual(a.state(), b.state(), `state after frameNext at ${what}`);
        }
        if (left === 0) break;
        assert(left < count, `no room at all at ${what}`);
        from += count - left;
        count = left;
      }
    }
  }
  assert(lines > 4000 && prompts > 200 && records > 80 && pieces > 1000 && skipped > 10 && compactions > 100 && overflows > 0,
    `too few of each: ${lines} lines, ${prompts} prompts, ${records} records, ${pieces} pieces, ${skipped} skipped, ${compactions} compactions, ${overflows} overflows`);
});

test("frameNext packs offsets up to the end of the 32 KB it addresses", () => {
  const line = codes("\r\n+MQTTBREAK: 1,1\r\n");
  for (const at of [0x4000 - 3, 0x7fff - line.length]) {
    const size = at + line.length;
    const results: number[] = [];
    for (const k of [native, ts] as Kernels[]) {
      const big = new Uint8Array(0x8000);
      const words = new Int32Array(big.buffer);
      words[STATE_AT + STATE_RECORD] = RECORD_UNDECIDED;
      words[STATE_AT + STATE_BASE] = words[STATE_AT + STATE_HEAD] = at;
      words[STATE_AT + STATE_TAIL] = words[STATE_AT + STATE_LIMIT] = size;
      for (let i = 0; i < line.length; i++) big[at + i] = line[i]!;
      results.push(k.frameNext(big, words, STATE_AT));
      assertEqual(words[STATE_AT + STATE_HEAD], size - 1, `head after the line at ${at}`);
    }
    const r = results[0]!;
    assertEqual(r, results[1], `frameNext at ${at}`);
    assertEqual(r >>> 16, at + 2, `line start at ${at}`);
    assertEqual(r & 0x7fff, size - 2, `line end at ${at}`);
  }
});

/** Names as TokenTable keeps them: a length, a key, a route, the bytes; a zero length ends them. */
function names(list: string[]): Uint8Array {
  const out: number[] = [];
  // A route per entry, as the engine sets them (here the key's parity: some keys have none).
  list.forEach((name, key) => out.push(name.length, key, key % 2, ...codes(name)));
  out.push(0);
  return Uint8Array.from(out);
}

test("tokenKey: C and TypeScript find the same key and body for any line", () => {
  const table = names(["OK", "ERROR", "+CME ERROR", "+CSQ", "+MQTTPUB", "+MQTTMSG", "+MQTTMSGI", "+MQTTREAD", "RDY", "+A_TOKEN_OF_24_BYTES_XXX"]);
  const bytes = new Uint8Array(256);
  const parts = ["+", "MQTT", "PUB", "MSG", "I", ":", " ", "1", ",", "OK", "RDY", "ERROR", "+CME ERROR", "+CSQ", "x", "_XXX", "+A_TOKEN_OF_24_BYTES"];
  let found = 0;
  for (let round = 0; round < 4000; round++) {
    let s: number[] = [];
    const n = random(8);
    for (let i = 0; i <= n; i++) s = s.concat(codes(parts[random(parts.length)]!));
    const start = 8 + random(4);
    for (let i = 0; i < s.length; i++) bytes[start + i] = s[i]!;
    const end = start + s.length;
    const r = native.tokenKey(bytes, start, end, table);
    assertEqual(r, ts.tokenKey(bytes, start, end, table), `tokenKey of ${JSON.stringify(String.fromCharCode(...s))}`);
    if ((r & 0xff) !== 0) found++;
  }
  assert(found > 150, `too few lines had a known token: ${found}`);
});

test("digitFields: C and TypeScript read the same values, or both decline", () => {
  const bytes = new Uint8Array(128);
  const parts = ["0", "1", "9", "42", "2147483647", "2147483648", "99999999999", ",", ",", " ", "x"];
  let read = 0;
  for (let round = 0; round < 4000; round++) {
    let s: number[] = [];
    const n = random(20);
    for (let i = 0; i <= n; i++) s = s.concat(codes(parts[random(round % 2 === 0 ? 8 : parts.length)]!));
    if (s.length > 100) s = s.slice(0, 100);
    for (let i = 0; i < s.length; i++) bytes[4 + i] = s[i]!;
    const a = new Int32Array(8).fill(-7);
    const b = new Int32Array(8).fill(-7);
    // Plain arrays too, shorter than some bodies: they take what fits and never grow.
    const c = [-7, -7, -7, -7, -7];
    const d = [-7, -7, -7, -7, -7];
    const what = JSON.stringify(String.fromCharCode(...s));
    const r = native.digitFields(bytes, 4, 4 + s.length, a);
    assertEqual(r, ts.digitFields(bytes, 4, 4 + s.length, b), `digitFields count of ${what}`);
    for (let k = 0; k < r && k < 8; k++) assertEqual(a[k], b[k], `digitFields value ${k} of ${what}`);
    assertEqual(native.digitFields(bytes, 4, 4 + s.length, c), r, `digitFields count into an array, of ${what}`);
    assertEqual(ts.digitFields(bytes, 4, 4 + s.length, d), r, `digitFields (TypeScript) count into an array, of ${what}`);
    assertEqual(c.length + d.length, 10, `an array grew, for ${what}`);
    for (let k = 0; k < r && k < 5; k++) assertEqual(c[k], a[k], `digitFields value ${k} into an array, of ${what}`);
    for (let k = 0; k < r && k < 5; k++) assertEqual(d[k], a[k], `digitFields (TypeScript) value ${k} into an array, of ${what}`);
    if (r > 0) read++;
  }
  assert(read > 1000, `too few bodies were read: ${read}`);
});

test("messageFields: C and TypeScript take the same mode-0 bodies and find the same values", () => {
  const bytes = new Uint8Array(160);
  const parts = ["1", "0", "12", "2147483648", ",", ", ", " ", '"', '","', '", "', "a/b", "{", "}", ":", "x"];
  const shapes = ['1,0,"a/b","hello"', '2, 1, "t", "{"on":true}"', '1,2,"","x"', '1,0,"a","b","c"', '1,0,"a", 7,"b"'];
  let taken = 0;
  for (let round = 0; round < 6000; round++) {
    let s: number[];
    if (round < shapes.length * 8) s = codes(shapes[round % shapes.length]!);
    else {
      s = codes(`${random(3)},${random(3) === 0 ? " " : ""}${random(3)},"`);
      const n = random(12);
      for (let i = 0; i < n; i++) s = s.concat(codes(parts[random(parts.length)]!));
      if (random(2) === 0) s.push(0x22);
    }
    const start = 8 + random(4);
    for (let i = 0; i < s.length; i++) bytes[start + i] = s[i]!;
    const a = new Int32Array(10).fill(-7);
    const b = new Int32Array(10).fill(-7);
    const what = JSON.stringify(String.fromCharCode(...s));
    const r = native.messageFields(bytes, start, start + s.length, a, 2);
    assertEqual(r, ts.messageFields(bytes, start, start + s.length, b, 2), `messageFields of ${what}`);
    for (let k = 0; k < 10; k++) assertEqual(a[k], b[k], `messageFields value ${k} of ${what}`);
    const c = [0, 0, 0, 0, 0, 0];
    assertEqual(native.messageFields(bytes, start, start + s.length, c, 0), r, `messageFields into an array, of ${what}`);
    if (r === 1) for (let k = 0; k < 6; k++) assertEqual(c[k], a[k + 2], `messageFields value ${k} into an array, of ${what}`);
    taken += r;
  }
  assert(taken > 500, `too few bodies were taken: ${taken}`);
});

test("the C kernels refuse offsets outside the buffer, a ring outside what they address, and a negative index", () => {
  const bytes = new Uint8Array(128);
  const words = new Int32Array(bytes.buffer);
  const table = names(["OK"]);
  /** A valid state at word 0 and a ring in the last 64 of the 128 bytes, with `change` applied. */
  const ring = (change: (w: Int32Array) => void): Int32Array => {
    words.fill(0);
    words[STATE_HEAD] = words[STATE_TAIL] = words[STATE_BASE] = 64;
    words[STATE_LIMIT] = 128;
    change(words);
    return words;
  };
  const calls: [string, () => unknown][] = [
    ["frameNext tail", () => native.frameNext(bytes, ring((w) => (w[STATE_TAIL] = 129)), 0)],
    ["frameNext head", () => native.frameNext(bytes, ring((w) => (w[STATE_HEAD] = 40)), 0)],
    ["frameNext head past tail", () => native.frameNext(bytes, ring((w) => (w[STATE_HEAD] = 72)), 0)],
    ["frameNext limit", () => native.frameNext(bytes, ring((w) => (w[STATE_LIMIT] = 132)), 0)],
    ["frameNext scanned", () => native.frameNext(bytes, ring((w) => ((w[STATE_TAIL] = 72), (w[STATE_SCANNED] = -4))), 0)],
    ["frameNext raw read", () => native.frameNext(bytes, ring((w) => ((w[STATE_TAIL] = 72), (w[STATE_RAW_LEFT] = -3))), 0)],
    ["frameNext prefix", () => native.frameNext(bytes, ring((w) => (w[STATE_PREFIX_LENGTH] = 17)), 0)],
    ["frameNext state", () => native.frameNext(bytes, ring(() => {}), 60)],
    ["frameNext negative state", () => native.frameNext(bytes, ring(() => {}), -1)],
    ["joinInput count", () => native.joinInput(bytes, ring(() => {}), 0, 124, 5)],
    ["joinInput negative count", () => native.joinInput(bytes, ring(() => {}), 0, 124, -1)],
    ["joinInput from", () => native.joinInput(bytes, ring(() => {}), 0, -1, 2)],
    ["tokenKey end", () => native.tokenKey(bytes, 0, 129, table)],
    ["digitFields end", () => native.digitFields(bytes, 0, 200, new Int32Array(4))],
    ["messageFields end", () => native.messageFields(bytes, 0, 129, new Int32Array(6), 0)],
    ["messageFields index", () => native.messageFields(bytes, 0, 8, new Int32Array(6), -1)],
    ["messageFields short", () => native.messageFields(bytes, 0, 8, new Int32Array(6), 1)],
    ["messageFields short array", () => native.messageFields(bytes, 0, 8, [0, 0, 0, 0, 0], 0)],
    ["messageFields short (TypeScript)", () => ts.messageFields(bytes, 0, 8, [0, 0, 0, 0, 0], 0)],
  ];
  for (const [what, call] of calls) {
    let thrown: unknown = null;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    assert(thrown instanceof RangeError, `${what}: expected a RangeError, got ${String(thrown)}`);
  }
  // The valid ring itself is taken.
  assertEqual(native.frameNext(bytes, ring(() => {}), 0), FRAMED_NOTHING, "an empty valid ring");
});

const STATE_BYTES = STATE_WORDS << 2;

budget("kernels (C): joinInput and frameNext over an OK line, tokenKey and digitFields over a +MQTTPUB line", () => {
  const bytes = new Uint8Array(256);
  const words = new Int32Array(bytes.buffer);
  words[STATE_AT + STATE_RECORD] = RECORD_UNDECIDED;
  const table = names(["OK", "+MQTTPUB"]);
  const line = codes("\r\nOK\r\n+MQTTPUB: 1,1\r\n");
  const stage = STATE_BYTES + 32;
  const at = STATE_BYTES + 64;
  for (let i = 0; i < line.length; i++) bytes[stage + i] = line[i]!;
  words[STATE_AT + STATE_HEAD] = words[STATE_AT + STATE_TAIL] = words[STATE_AT + STATE_BASE] = at;
  words[STATE_AT + STATE_LIMIT] = at + 64;
  const out = new Int32Array(4);
  return () => {
    native.joinInput(bytes, words, STATE_AT, stage, 6);
    native.frameNext(bytes, words, STATE_AT);
    native.tokenKey(bytes, at + 6, at + 19, table);
    native.digitFields(bytes, at + 16, at + 19, out);
  };
});

run();
