/**
 * A tiny test harness that runs inside the XS test host (test/xs/host/xshost.c).
 *
 * Register cases with `test(name, fn)` and allocation budgets with `budget(name, factory)`, then
 * call `run()` at the end of the script. Each case prints one line `XSCASE {json}`; the run ends
 * with `XSDONE {json}`. test/xs/xs.test.ts turns every line into its own vitest test.
 */

/** Globals the host defines (see xshost.c). Reached through globalThis: no ambient declarations. */
interface XsHostGlobals {
  print(...values: unknown[]): void;
  gc(): void;
  xsCounters(out: Float64Array): void;
  /** Under callgrind, ends a measured phase: its instruction counts are dumped as "phase N". */
  callgrindDump(phase: number): void;
  xsResetStackPeak(): void;
  scriptArgs: string[];
}

export const host = globalThis as unknown as XsHostGlobals;

/** Indices into the counters `xsCounters` fills. */
export const SLOTS = 0;
export const CHUNK_BYTES = 1;
export const GCS = 2;
export const BYTECODES = 3;
export const SLOT_SIZE = 4;
/** JavaScript stack slots in use now, and the most in use since `host.xsResetStackPeak()`. */
export const STACK = 7;
export const STACK_PEAK = 8;
/** The stack's size in slots (the host's `--stack`, a Moddable manifest's `creation.stack`). */
export const STACK_SIZE = 9;

/** A counters record; make them at start-up, reading one allocates nothing. */
export function counters(): Float64Array {
  return new Float64Array(10);
}

export class AssertionError extends Error {}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Deep equality for arrays of primitives (event logs). Names the first difference. */
export function assertSameList(actual: readonly unknown[], expected: readonly unknown[], what: string): void {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      throw new AssertionError(
        `${what}: item ${i} differs: expected ${show(expected[i])}, got ${show(actual[i])} ` +
          `(lengths ${expected.length} expected, ${actual.length} actual)`,
      );
    }
  }
}

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** What one operation may allocate, on average, in steady state. Default: nothing at all. */
export interface Budget {
  slots?: number;
  chunkBytes?: number;
  gcs?: number;
}

export interface BudgetOptions extends Budget {
  /** Operations run before measuring (first-use allocations, queues filling up). Default 200. */
  warmup?: number;
  /** Operations measured. Default 5000. */
  ops?: number;
}

export interface BudgetFigures {
  ops: number;
  slots: number;
  chunkBytes: number;
  gcs: number;
  bytecodes: number;
}

type Case = { name: string; kind: "test"; fn: () => void | Promise<void> } | { name: string; kind: "budget"; factory: () => (i: number) => void; options: BudgetOptions };

const cases: Case[] = [];

/**
 * A behaviour test: passes unless `fn` throws (or its promise rejects). An async test's steps
 * after an `await` run from a promise job, near the bottom of the stack, as a device's event
 * loop calls in (see test/xs/support/device.ts).
 */
export function test(name: string, fn: () => void | Promise<void>): void {
  cases.push({ name, kind: "test", fn });
}

/**
 * A steady-state allocation budget. `factory` runs once (set-up may allocate) and returns the
 * operation; the operation runs `warmup` times, then `ops` times between two counter reads.
 * It fails, naming the path and the amounts, when it allocates more than the budget.
 */
export function budget(name: string, factory: () => (i: number) => void, options: BudgetOptions = {}): void {
  cases.push({ name, kind: "budget", factory, options });
}

const before = counters();
const after = counters();

/** Runs `op` `ops` times starting at index `first` and returns what it cost. Starts with a full collection. */
export function measure(op: (i: number) => void, first: number, ops: number): BudgetFigures {
  host.gc();
  host.xsCounters(before);
  for (let i = first; i < first + ops; i++) op(i);
  host.xsCounters(after);
  return {
    ops,
    slots: after[SLOTS]! - before[SLOTS]!,
    chunkBytes: after[CHUNK_BYTES]! - before[CHUNK_BYTES]!,
    gcs: after[GCS]! - before[GCS]!,
    bytecodes: after[BYTECODES]! - before[BYTECODES]!,
  };
}

/** What kind of allocation the figures point at, from what XS is known to charge for. */
function hint(f: BudgetFigures): string {
  if (f.gcs === 0 && f.slots === 0 && f.chunkBytes > 0)
    return " (chunks without slots: string data - a string literal evaluated at run time, a concatenation, a literal computed key like o[\"k\"])";
  if (f.gcs === 0 && f.slots > 0)
    return " (slots: new objects, closures, arrays, subarray views, rest arguments, or property access on a primitive string)";
  return "";
}

function perOp(v: number, ops: number): string {
  const x = v / ops;
  return Number.isInteger(x) ? String(x) : x.toFixed(3);
}

/** The first few operations that allocate, one by one, to point at the culprit. */
function firstAllocations(op: (i: number) => void, first: number): string {
  const found: string[] = [];
  for (let i = first; i < first + 64 && found.length < 3; i++) {
    const f = measure(op, i, 1);
    if (f.slots !== 0 || f.chunkBytes !== 0 || f.gcs !== 0) found.push(`op #${i - first}: ${f.slots} slots, ${f.chunkBytes} chunk bytes`);
  }
  return found.length ? `; ${found.join("; ")}` : "";
}

/**
 * Runs a budget now: returns its figures as text, or throws naming `name`, the amounts per
 * operation, and the first operations that allocated.
 */
export function checkBudget(name: string, factory: () => (i: number) => void, o: BudgetOptions = {}): string {
  const warmup = o.warmup ?? 200;
  const ops = o.ops ?? 5000;
  const op = factory();
  for (let i = 0; i < warmup; i++) op(i);
  const f = measure(op, warmup, ops);
  const summary =
    `${perOp(f.slots, ops)} slots/op, ${perOp(f.chunkBytes, ops)} chunk bytes/op, ${f.gcs} GCs ` +
    `over ${ops} ops (${perOp(f.bytecodes, ops)} bytecodes/op)`;
  const over =
    f.gcs > (o.gcs ?? 0) * ops ||
    (f.gcs === 0 && (f.slots > (o.slots ?? 0) * ops || f.chunkBytes > (o.chunkBytes ?? 0) * ops));
  if (over) {
    const limit = `budget ${o.slots ?? 0} slots, ${o.chunkBytes ?? 0} chunk bytes, ${o.gcs ?? 0} GCs per op`;
    throw new AssertionError(`${name} allocates: ${summary}; ${limit}${firstAllocations(op, warmup + ops)}${hint(f)}`);
  }
  return summary;
}

/**
 * Runs every registered case (optionally only names containing `filter`) and prints results.
 * The cases run from a promise job once the script's modules have all been evaluated, so the
 * stack holds what it holds when a device's event loop calls in (a module's top-level variables
 * sit on the stack only while its body runs).
 */
export function run(filter = host.scriptArgs[0] ?? ""): void {
  void Promise.resolve(filter).then(runCases);
}

async function runCases(filter: string): Promise<void> {
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    if (filter && c.name.indexOf(filter) < 0) continue;
    let ok = true;
    let message = "";
    try {
      if (c.kind === "test") await c.fn();
      else message = checkBudget(c.name, c.factory, c.options);
    } catch (e) {
      ok = false;
      message = e instanceof Error ? `${e instanceof AssertionError ? "" : e.name + ": "}${e.message}` : String(e);
    }
    if (ok) passed++;
    else failed++;
    host.print(`XSCASE ${JSON.stringify({ name: c.name, ok, message })}`);
  }
  host.print(`XSDONE ${JSON.stringify({ passed, failed })}`);
}
