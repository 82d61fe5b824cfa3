/**
 * The host and the harness measure what they claim: reading the counters allocates nothing,
 * and allocations of each kind show up where expected (so a zero budget means something).
 */
import {
  BYTECODES, CHUNK_BYTES, GCS, SLOTS, SLOT_SIZE, assert, assertEqual, budget, checkBudget, counters, host, measure, run, test,
} from "../harness.ts";

test("reading the counters allocates nothing", () => {
  const a = counters();
  const b = counters();
  host.gc();
  host.xsCounters(a);
  for (let i = 0; i < 20000; i++) host.xsCounters(b);
  host.xsCounters(b);
  assertEqual(b[SLOTS]! - a[SLOTS]!, 0, "slots");
  assertEqual(b[CHUNK_BYTES]! - a[CHUNK_BYTES]!, 0, "chunk bytes");
  assertEqual(b[GCS]! - a[GCS]!, 0, "GCs");
  assert(b[BYTECODES]! > a[BYTECODES]!, "the bytecode counter runs");
});

test("the counters report the host's slot size and count collections", () => {
  const c = counters();
  host.xsCounters(c);
  const size = c[SLOT_SIZE]!;
  assert(size === 16 || size === 32, `slot size ${size}`);
  const gcs = c[GCS]!;
  host.gc();
  host.xsCounters(c);
  assertEqual(c[GCS]! - gcs, 1, "GCs after gc()");
});

test("the counters see slots, chunks and collections", () => {
  const keep: object[] = [];
  const objects = measure((i) => void keep.push({ i }), 0, 100);
  assert(objects.slots >= 100, `objects: ${objects.slots} slots`);
  let s = "";
  const strings = measure((i) => void (s += String.fromCharCode(65 + (i % 26))), 0, 100);
  assert(strings.chunkBytes > 0, `concatenation: ${strings.chunkBytes} chunk bytes`);
  assert(s.length === 100, "kept");
  const churn = measure(() => void new Array(64).fill(0), 0, 20000);
  assert(churn.gcs > 0, "garbage leads to collections");
});

test("the bytecode counter is exact and repeatable", () => {
  let x = 0;
  const op = (i: number): void => {
    x = (x + Math.imul(i, 31)) | 0;
  };
  const a = measure(op, 0, 1000);
  const b = measure(op, 0, 1000);
  assertEqual(a.bytecodes, b.bytecodes, "bytecodes of two identical runs");
  assert(a.bytecodes > 1000, `bytecodes ${a.bytecodes}`);
});

// Facts the engine's design rests on (DESIGN.md, section 3), checked in this engine.
const bytes = new Uint8Array(256);
const words = new Int32Array(bytes.buffer);
budget("fact: typed-array reads and writes, integer math, copyWithin", () => (i) => {
  bytes[i & 255] = (bytes[(i + 1) & 255]! + Math.imul(i, 7)) & 255;
  words[i & 63] = words[(i + 3) & 63]! ^ i;
  bytes.copyWithin(0, 128, 192);
});

const charCodeAt = String.prototype.charCodeAt;
const text = "+MQTTPUB: 1,1";
budget("fact: String.prototype.charCodeAt.call on a string", () => (i) => {
  bytes[0] = charCodeAt.call(text, i % 13);
});

test("fact: s.charCodeAt(i) on a primitive string allocates", () => {
  const f = measure((i) => void (bytes[0] = text.charCodeAt(i % 13)), 0, 1000);
  assert(f.slots > 0 || f.gcs > 0, `charCodeAt: ${f.slots} slots`);
});

test("fact: subarray allocates", () => {
  const f = measure((i) => void (bytes[0] = bytes.subarray(i & 7, 64)[0]!), 0, 1000);
  assert(f.slots > 0 || f.gcs > 0, `subarray: ${f.slots} slots`);
});

test("fact: evaluating a string literal allocates a chunk, reading a constant does not", () => {
  let s = "";
  const literal = measure(() => void (s = ""), 0, 1000);
  assert(literal.chunkBytes > 0 && literal.slots === 0, `literal: ${literal.chunkBytes} chunk bytes`);
  const EMPTY = "";
  const constant = measure(() => void (s = EMPTY), 0, 1000);
  assertEqual(constant.chunkBytes + constant.slots + constant.gcs, 0, "constant");
  const record: Record<string, number> = { "+CSQ": 1 };
  const key = "+CSQ";
  let n = 0;
  const literalKey = measure(() => void (n += record["+CSQ"]!), 0, 1000);
  assert(literalKey.chunkBytes > 0, `o["k"]: ${literalKey.chunkBytes} chunk bytes`);
  const variableKey = measure(() => void (n += record[key]!), 0, 1000);
  assertEqual(variableKey.chunkBytes + variableKey.slots + variableKey.gcs, 0, "o[k] with k a constant");
  assert(s === "" && n === 2000, "kept");
});

test("a failing budget names the path and the amounts", () => {
  const keep: number[][] = [];
  let message = "";
  try {
    checkBudget("demo path", () => (i) => void keep.push([i, i]), { warmup: 10, ops: 100 });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(/^demo path allocates: [1-9][0-9.]* slots\/op, .*; op #0: [1-9]\d* slots/.test(message), `message: ${message}`);
});

run();
