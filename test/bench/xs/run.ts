/**
 * `npm run bench:xs`: the AT engine against an idiomatic string parser, inside the XS test host,
 * on the same ~200 KB modem transcript fed in 64-byte reads; then the engine per line type and
 * per read. Prints figures; asserts nothing about time. The two parsers must report identical
 * events (full hash of every field and payload byte), or the figures are declared void and the
 * run exits non-zero.
 *
 * Native instructions come from valgrind's callgrind (skipped when valgrind is missing or
 * XS_BENCH_NO_CALLGRIND=1). Each measurement in bench.xs.ts is a "copy" phase (the reads copied
 * into the engine's stage, nothing parsed) and a "feed" phase (the same copies, each followed by
 * `engine.received`); the script ends each phase with a callgrind dump, and a figure is feed minus
 * copy. So it leaves out the feed loop and the copies, and includes everything `received` runs:
 * the engine, and the benchmark driver's handlers with their event hashing.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT, buildHost, compileTree, runScript } from "../../../scripts/xs/host.ts";

interface Bench {
  name: string;
  readSize: number;
  fed: number;
  lines: number;
  reads: number;
  copyPhase: number;
  feedPhase: number;
  slotSize: number;
  retainedSlots: number;
  retainedChunkBytes: number;
  slots: number;
  chunkBytes: number;
  gcs: number;
  bytecodes: number;
  counts: number[];
  hash: number;
  unhandled: number;
  queued: number;
}

interface Heap {
  slotSize: number;
  slots: number;
  chunkBytes: number;
  bytes: number;
}

interface Run {
  benches: Bench[];
  heap: Heap | null;
  /** Per phase number: self instructions by function, under "" the phase's total. */
  phases: Map<number, Map<string, number>> | null;
}

/** Heap big enough that a whole run allocates without a collection: deltas are then totals. */
const BIG_HEAP = ["--slots", "4000000", "--chunks", "600000000"];
/** The host's default heap (16K slots, 256 KB chunks), closer to a device's. */
const SMALL_HEAP: string[] = [];
const ESP32_SLOT = 16;
const ESP32_HZ = 240e6;
/** Assumed ESP32 (Xtensa LX6) instructions per cycle for the XS interpreter: about one, at best. */
const ESP32_IPC = 1;
const CG_DIR = join(ROOT, "build/xs-bench");

function parseOutput(stdout: string, what: string): Run {
  const benches: Bench[] = [];
  let heap: Heap | null = null;
  for (const l of stdout.split("\n")) {
    if (l.startsWith("XSBENCH ")) benches.push(JSON.parse(l.slice(8)) as Bench);
    else if (l.startsWith("XSHEAP ")) heap = JSON.parse(l.slice(7)) as Heap;
  }
  if (benches.length === 0) throw new Error(`${what}: no XSBENCH line\n${stdout.slice(-2000)}`);
  return { benches, heap, phases: null };
}

/** The bench drives the engine from its module's body: more stack than a device callback needs. */
const STACK = ["--stack", "4096"];

function plain(script: string, args: string[], heap: string[]): Run {
  const r = runScript(script, args, { hostArgs: [...STACK, ...heap], timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`xshost ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return parseOutput(r.stdout, args.join(" "));
}

/**
 * Self instructions per function in one callgrind dump, from its `fn=` records: a cost line
 * adds to the function named last, except the line after `calls=`, which is a callee's
 * inclusive cost. (`callgrind_annotate` is not used: its report mixes in source lines and the
 * file's total.)
 */
function selfCosts(file: string): Map<string, number> {
  const text = readFileSync(file, "utf8");
  const names = new Map<string, string>();
  const costs = new Map<string, number>();
  let fn = "";
  let skip = false;
  let total = 0;
  for (const l of text.split("\n")) {
    if (l.startsWith("fn=")) {
      // Compressed names: `fn=(12) name` defines id 12, `fn=(12)` reuses it.
      const m = /^fn=(?:\((\d+)\))?\s*(.*)$/.exec(l)!;
      if (m[1] !== undefined && m[2] === "") fn = names.get(m[1]) ?? m[1];
      else {
        fn = m[2]!;
        if (m[1] !== undefined) names.set(m[1], fn);
      }
    } else if (l.startsWith("calls=")) skip = true;
    else if (/^[-+*\d]/.test(l)) {
      if (skip) {
        skip = false;
        continue;
      }
      const parts = l.trim().split(/\s+/);
      const n = Number(parts[parts.length - 1]);
      if (parts.length >= 2 && Number.isFinite(n)) costs.set(fn, (costs.get(fn) ?? 0) + n);
    } else if (l.startsWith("summary:") || l.startsWith("totals:")) total = Number(l.split(/\s+/)[1]);
    else if (l.startsWith("cfn=")) {
      // A callee named for the first time defines its compressed id too.
      const m = /^cfn=\((\d+)\)\s+(.+)$/.exec(l);
      if (m) names.set(m[1]!, m[2]!);
    }
  }
  costs.set("", total);
  return costs;
}

/** Runs under callgrind and reads each phase's dump. */
function callgrind(script: string, args: string[], heap: string[], name: string): Promise<Run> {
  const base = join(CG_DIR, `${name}.callgrind`);
  for (const f of readdirSync(CG_DIR)) if (f.startsWith(`${name}.callgrind`)) rmSync(join(CG_DIR, f));
  return new Promise((resolve, reject) => {
    const p = spawn("valgrind", ["--tool=callgrind", `--callgrind-out-file=${base}`, join(ROOT, "build/xs-host/xshost"), ...STACK, ...heap, script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => {
      try {
        if (code !== 0) throw new Error(`callgrind ${name}: exit ${code}\n${err.slice(-1000)}`);
        const run = parseOutput(out, name);
        run.phases = new Map();
        for (const f of readdirSync(CG_DIR)) {
          if (!f.startsWith(`${name}.callgrind.`)) continue;
          const file = join(CG_DIR, f);
          const m = /^desc: Trigger: Client Request: phase (\d+)$/m.exec(readFileSync(file, "utf8").slice(0, 4096));
          if (m) run.phases.set(Number(m[1]), selfCosts(file));
        }
        resolve(run);
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Instructions of a measurement: its feed phase minus its copy phase, by function ("" the total). */
function instructions(run: Run, b: Bench): Map<string, number> {
  const feed = run.phases?.get(b.feedPhase);
  const copy = run.phases?.get(b.copyPhase);
  if (!feed || !copy) throw new Error(`${b.name}: callgrind dumps of phases ${b.copyPhase}/${b.feedPhase} missing`);
  const out = new Map<string, number>();
  for (const [fn, n] of feed) out.set(fn, n - (copy.get(fn) ?? 0));
  for (const [fn, n] of copy) if (!feed.has(fn)) out.set(fn, -n);
  return out;
}

function bench(run: Run, name: string): Bench {
  const b = run.benches.find((x) => x.name === name);
  if (!b) throw new Error(`no measurement named ${name}`);
  return b;
}

/** Runs async jobs at most `n` at a time (the machine has two cores). */
async function limit<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

const f1 = (x: number): string => x.toFixed(1);
const f0 = (x: number): string => Math.round(x).toLocaleString("en-US");

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
}

async function main(): Promise<number> {
  buildHost();
  const script = await compileTree(join(ROOT, "test/bench/xs/bench.xs.ts"));
  // The same benchmark with the engine's kernels in TypeScript, as Node runs them: what the
  // kernels in C save a device.
  process.env.CELLMQTT_KERNELS = "ts";
  const tsScript = await compileTree(join(ROOT, "test/bench/xs/bench.xs.ts"));
  delete process.env.CELLMQTT_KERNELS;

  // 1. Same events, every byte hashed.
  const checkE = bench(plain(script, ["engine", "full"], BIG_HEAP), "transcript");
  const checkS = bench(plain(script, ["string", "full"], BIG_HEAP), "transcript");
  const same = checkE.hash === checkS.hash && checkE.counts.join() === checkS.counts.join() && checkE.unhandled === 0 && checkE.queued === 0;
  console.log(`transcript: ${checkE.fed} bytes, ${checkE.lines} lines, ${checkE.reads} reads of 64 bytes`);
  console.log(`events [final, csq, ack, announce, message, read]: engine ${checkE.counts.join(",")} / string ${checkS.counts.join(",")}`);
  console.log(`full event hash: engine ${checkE.hash} / string ${checkS.hash} -> ${same ? "identical" : "DIFFERENT: figures void"}`);
  if (!same) return 1;

  // 2. The measured runs: under callgrind when it is there (the XS counters come out the same).
  const hasValgrind = spawnSync("valgrind", ["--version"]).status === 0 && process.env.XS_BENCH_NO_CALLGRIND !== "1";
  let engine: Run;
  let engineTs: Run;
  let stringSmall: Run;
  let stringBig: Run;
  if (hasValgrind) {
    mkdirSync(CG_DIR, { recursive: true });
    [engine, stringSmall, stringBig, engineTs] = await limit(2, [
      () => callgrind(script, ["engine"], SMALL_HEAP, "engine"),
      () => callgrind(script, ["string"], SMALL_HEAP, "string"),
      () => callgrind(script, ["string"], BIG_HEAP, "string-big"),
      () => callgrind(tsScript, ["engine", "transcript"], SMALL_HEAP, "engine-ts-kernels"),
    ]);
  } else {
    engine = plain(script, ["engine"], SMALL_HEAP);
    engineTs = plain(tsScript, ["engine", "transcript"], SMALL_HEAP);
    stringSmall = plain(script, ["string"], SMALL_HEAP);
    stringBig = plain(script, ["string"], BIG_HEAP);
  }
  const eTs = bench(engineTs, "transcript");
  const e = bench(engine, "transcript");
  const sGc = bench(stringSmall, "transcript");
  const s = bench(stringBig, "transcript");
  if (e.hash !== s.hash || e.hash !== sGc.hash) throw new Error("sampled event hashes differ between the measured runs");
  for (const b of engine.benches) {
    if (b.unhandled !== 0 || b.queued !== 0) throw new Error(`${b.name}: ${b.unhandled} lines unhandled, ${b.queued} commands left queued`);
    if (b.name.startsWith("transcript-") && b.hash !== e.hash) throw new Error(`${b.name}: events differ from the 64-byte reads'`);
  }
  const bytes = e.fed;
  const lines = e.lines;
  const perByte = (run: Run, b: Bench): number => instructions(run, b).get("")! / b.fed;
  const cg = hasValgrind
    ? { engine: perByte(engine, e), engineTs: perByte(engineTs, eTs), stringSmall: perByte(stringSmall, sGc), stringBig: perByte(stringBig, s) }
    : null;

  const rows: string[][] = [
    ["", "AT engine", "string parser"],
    ["XS bytecodes per inbound byte", f1(e.bytecodes / bytes), f1(s.bytecodes / bytes)],
    ["  same, the engine's kernels in TypeScript", f1(eTs.bytecodes / bytes), ""],
    ["slots allocated per line", f1(e.slots / lines), f1(s.slots / lines)],
    ["chunk bytes allocated per line", f1(e.chunkBytes / lines), f1(s.chunkBytes / lines)],
    ["GCs during the run (16K-slot, 256 KB heap)", String(e.gcs), String(sGc.gcs)],
  ];
  if (cg) {
    rows.push(["native instructions per byte (callgrind)", f0(cg.engine), f0(cg.stringSmall)]);
    rows.push(["  same, the engine's kernels in TypeScript", f0(cg.engineTs), ""]);
    rows.push(["  same, string parser never collecting", "", f0(cg.stringBig)]);
  }
  table(rows);

  // 3. The engine per line type and per read.
  console.log(`\nengine per line type (${bench(engine, "OK").lines} lines of each, 128-byte reads; each line's share of the fixed cost per read included):`);
  const shapeRows: string[][] = [["line", "bytes/line", "instructions/line", "bytecodes/line", "instructions/byte"]];
  for (const b of engine.benches) {
    if (b.name.startsWith("transcript")) continue;
    const n = cg ? instructions(engine, b).get("")! : NaN;
    const groups = b.name.includes(" with ") ? b.lines / 2 : b.lines;
    shapeRows.push([
      b.name + (groups !== b.lines ? " (per pair)" : ""),
      f1(b.fed / groups),
      cg ? f0(n / groups) : "-",
      f0(b.bytecodes / groups),
      cg ? f0(n / b.fed) : "-",
    ]);
  }
  table(shapeRows);
  const r16 = bench(engine, "transcript-16");
  const r128 = bench(engine, "transcript-128");
  const perRead = (x16: number, x128: number): number => (x16 - x128) / (r16.reads - r128.reads);
  const readRows: string[][] = [["the transcript in reads of", "16 bytes", "64 bytes", "128 bytes", "fixed cost per read"]];
  if (cg) {
    const i16 = instructions(engine, r16).get("")!;
    const i128 = instructions(engine, r128).get("")!;
    readRows.push(["instructions per byte", f0(i16 / bytes), f0(cg.engine), f0(i128 / bytes), f0(perRead(i16, i128))]);
  }
  readRows.push(["bytecodes per byte", f1(r16.bytecodes / bytes), f1(e.bytecodes / bytes), f1(r128.bytecodes / bytes), f0(perRead(r16.bytecodes, r128.bytecodes))]);
  console.log("");
  table(readRows);

  // Chunk bytes include array storage (one slot per element): at most this much shrinks on ESP32 too.
  const heap = engine.heap!;
  const hostBytes = heap.slots * heap.slotSize + heap.chunkBytes;
  const espBytes = heap.slots * ESP32_SLOT + heap.chunkBytes;
  console.log(
    `\nXS heap retained by the engine after start (18 tokens, handlers, record prefix): ${heap.slots} slots + ` +
      `${heap.chunkBytes} chunk bytes (of which ${heap.bytes} its one buffer) = ${f0(hostBytes)} B here ` +
      `(${heap.slotSize}-byte slots); ESP32 estimate ${f0(espBytes)} B (16-byte slots, chunk bytes as here: an upper bound, ` +
      `array elements are slots too) -> goal < 6 KB: ${espBytes < 6144 ? "met" : "NOT met"}`,
  );
  console.log(`  with the benchmark's driver: ${e.retainedSlots} slots + ${e.retainedChunkBytes} chunk bytes`);
  const allocs = engine.benches.filter((b) => b.slots !== 0 || b.chunkBytes !== 0 || b.gcs !== 0);
  console.log(`\ngoal: engine allocates nothing: ${allocs.length === 0 ? "yes" : `NO (${allocs.map((b) => `${b.name}: ${b.slots} slots, ${b.chunkBytes} chunk bytes, ${b.gcs} GCs`).join("; ")})`}`);
  if (cg) {
    console.log(`\nESP32 CPU share at 240 MHz, assuming the same instruction count and ${ESP32_IPC} instruction/cycle:`);
    for (const baud of [115200, 921600]) {
      const bps = baud / 10;
      const share = (ipb: number): string => `${((ipb * bps * 100) / (ESP32_HZ * ESP32_IPC)).toFixed(1)}%`;
      console.log(`  ${String(baud).padStart(6)} baud (${f0(bps)} B/s): engine ${share(cg.engine)}, string parser ${share(cg.stringSmall)} (${share(cg.stringBig)} without GC)`);
    }
    console.log(`goal: engine no more instructions per byte than the string parser (without its GC): ${cg.engine <= cg.stringBig ? "yes" : `NO (${(cg.engine / cg.stringBig).toFixed(2)}x)`}`);
    console.log(`\nengine, transcript in 64-byte reads: native instructions by function (self cost, feed minus copy phase; top 12):`);
    const fns = [...instructions(engine, e)].filter(([fn]) => fn !== "").sort((x, y) => y[1] - x[1]).slice(0, 12);
    for (const [fn, n] of fns) console.log(`${(n / 1e6).toFixed(1).padStart(8)} M  ${(n / bytes).toFixed(0).padStart(5)}/byte  ${fn}`);
    console.log(`\ncallgrind files, one per phase: ${CG_DIR} (callgrind_annotate <file>)`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
