/**
 * `npm run bench:xs`: the AT engine against an idiomatic string parser, inside the XS test host,
 * on the same ~200 KB modem transcript fed in 64-byte reads. Prints figures; asserts nothing
 * about time. The two must report identical events (full hash of every field and payload byte),
 * or the figures are declared void and the run exits non-zero.
 *
 * Native instructions come from valgrind's callgrind (skipped when valgrind is missing or
 * XS_BENCH_NO_CALLGRIND=1): each run minus the same run with nothing fed, per inbound byte.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, buildHost, bundleTo, runScript } from "../../../scripts/xs/host.ts";

interface Bench {
  mode: string;
  fed: number;
  lines: number;
  reads: number;
  slotSize: number;
  engineSlots: number;
  engineChunkBytes: number;
  engineBytes: number;
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

/** Heap big enough that a whole run allocates without a collection: deltas are then totals. */
const BIG_HEAP = ["--slots", "4000000", "--chunks", "600000000"];
/** The host's default heap (16K slots, 256 KB chunks), closer to a device's. */
const SMALL_HEAP: string[] = [];
const ESP32_SLOT = 16;
const ESP32_HZ = 240e6;
/** Assumed ESP32 (Xtensa LX6) instructions per cycle for the XS interpreter: about one, at best. */
const ESP32_IPC = 1;
const CG_DIR = join(ROOT, "build/xs-bench");

function parse(stdout: string, what: string): Bench {
  const line = stdout.split("\n").find((l) => l.startsWith("XSBENCH "));
  if (!line) throw new Error(`${what}: no XSBENCH line\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(8)) as Bench;
}

function xs(script: string, args: string[], heap: string[]): Bench {
  const r = runScript(script, args, { hostArgs: heap, timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`xshost ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return parse(r.stdout, args.join(" "));
}

/** Runs under callgrind; resolves to the total instruction count. */
function callgrind(script: string, args: string[], heap: string[], name: string): Promise<number> {
  const out = join(CG_DIR, `${name}.callgrind`);
  return new Promise((resolve, reject) => {
    const p = spawn("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, join(ROOT, "build/xs-host/xshost"), ...heap, script, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => {
      const m = /^summary: (\d+)/m.exec(readFileSync(out, "utf8"));
      if (code !== 0 || !m) reject(new Error(`callgrind ${name}: exit ${code}\n${err.slice(-1000)}`));
      else resolve(Number(m[1]));
    });
  });
}

/** Per-function instruction differences between a run and its zero-input baseline. */
function hotspots(name: string, top: number): string[] {
  const fns = (file: string): Map<string, number> => {
    const r = spawnSync("callgrind_annotate", ["--threshold=100", join(CG_DIR, `${file}.callgrind`)], { encoding: "utf8", maxBuffer: 64 << 20 });
    const m = new Map<string, number>();
    for (const l of (r.stdout ?? "").split("\n")) {
      const x = /^\s*([\d,]+) \([^)]*\)\s+(\S+)/.exec(l);
      if (x && x[2] !== "PROGRAM") m.set(x[2]!.replace(/^.*\/sources\//, ""), Number(x[1]!.replace(/,/g, "")));
    }
    return m;
  };
  const feed = fns(`${name}-feed`);
  const zero = fns(`${name}-zero`);
  return [...feed]
    .map(([fn, n]) => [fn, n - (zero.get(fn) ?? 0)] as const)
    .filter(([fn]) => !fn.startsWith("???"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, n]) => `${(n / 1e6).toFixed(1).padStart(8)} M  ${fn}`);
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

async function main(): Promise<number> {
  buildHost();
  const script = await bundleTo(join(ROOT, "test/bench/xs/bench.xs.ts"));

  // 1. Same events, every byte hashed.
  const checkE = xs(script, ["engine", "feed", "full"], BIG_HEAP);
  const checkS = xs(script, ["string", "feed", "full"], BIG_HEAP);
  const same = checkE.hash === checkS.hash && checkE.counts.join() === checkS.counts.join() && checkE.unhandled === 0 && checkE.queued === 0;
  console.log(`transcript: ${checkE.fed} bytes, ${checkE.lines} lines, ${checkE.reads} reads of 64 bytes`);
  console.log(`events [final, csq, ack, announce, message, read]: engine ${checkE.counts.join(",")} / string ${checkS.counts.join(",")}`);
  console.log(`full event hash: engine ${checkE.hash} / string ${checkS.hash} -> ${same ? "identical" : "DIFFERENT: figures void"}`);
  if (!same) return 1;

  // 2. Allocation (no collection happens with the big heap) and bytecodes; collections with the small heap.
  const e = xs(script, ["engine", "feed"], BIG_HEAP);
  const s = xs(script, ["string", "feed"], BIG_HEAP);
  const eGc = xs(script, ["engine", "feed"], SMALL_HEAP);
  const sGc = xs(script, ["string", "feed"], SMALL_HEAP);
  if (e.hash !== s.hash) throw new Error("sampled event hashes differ between the measured runs");
  const bytes = e.fed;
  const lines = e.lines;

  // 3. Native instructions.
  let cg: { engine: number; stringSmall: number; stringBig: number } | null = null;
  const hasValgrind = spawnSync("valgrind", ["--version"]).status === 0;
  if (hasValgrind && process.env.XS_BENCH_NO_CALLGRIND !== "1") {
    mkdirSync(CG_DIR, { recursive: true });
    const n = await limit(2, [
      () => callgrind(script, ["engine", "feed"], SMALL_HEAP, "engine-feed"),
      () => callgrind(script, ["engine", "zero"], SMALL_HEAP, "engine-zero"),
      () => callgrind(script, ["string", "feed"], SMALL_HEAP, "string-feed"),
      () => callgrind(script, ["string", "zero"], SMALL_HEAP, "string-zero"),
      () => callgrind(script, ["string", "feed"], BIG_HEAP, "string-big-feed"),
      () => callgrind(script, ["string", "zero"], BIG_HEAP, "string-big-zero"),
    ]);
    cg = { engine: (n[0]! - n[1]!) / bytes, stringSmall: (n[2]! - n[3]!) / bytes, stringBig: (n[4]! - n[5]!) / bytes };
  }

  const rows: [string, string, string][] = [
    ["", "AT engine", "string parser"],
    ["XS bytecodes per inbound byte", f1(e.bytecodes / bytes), f1(s.bytecodes / bytes)],
    ["slots allocated per line", f1(e.slots / lines), f1(s.slots / lines)],
    ["chunk bytes allocated per line", f1(e.chunkBytes / lines), f1(s.chunkBytes / lines)],
    ["GCs during the run (16K-slot, 256 KB heap)", String(eGc.gcs), String(sGc.gcs)],
  ];
  if (cg) {
    rows.push(["native instructions per byte (callgrind)", f0(cg.engine), f0(cg.stringSmall)]);
    rows.push(["  same, string parser never collecting", "", f0(cg.stringBig)]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padStart(12)}  ${r[2].padStart(14)}`);

  // Chunk bytes include array storage (one slot per element): at most this much shrinks on ESP32 too.
  const hostBytes = e.engineSlots * e.slotSize + e.engineChunkBytes;
  const espBytes = e.engineSlots * ESP32_SLOT + e.engineChunkBytes;
  console.log(
    `\nXS heap retained by the engine after start (18 tokens, handlers, record prefix): ${e.engineSlots} slots + ` +
      `${e.engineChunkBytes} chunk bytes (of which ${e.engineBytes} its one buffer) = ${f0(hostBytes)} B here ` +
      `(${e.slotSize}-byte slots); ESP32 estimate ${f0(espBytes)} B (16-byte slots, chunk bytes as here: an upper bound, ` +
      `array elements are slots too) -> goal < 6 KB: ${espBytes < 6144 ? "met" : "NOT met"}`,
  );
  console.log(`  with the benchmark's driver: ${e.retainedSlots} slots + ${e.retainedChunkBytes} chunk bytes`);
  if (cg) {
    console.log(`\nESP32 CPU share at 240 MHz, assuming the same instruction count and ${ESP32_IPC} instruction/cycle:`);
    for (const baud of [115200, 921600]) {
      const bps = baud / 10;
      const share = (ipb: number): string => `${((ipb * bps * 100) / (ESP32_HZ * ESP32_IPC)).toFixed(1)}%`;
      console.log(`  ${String(baud).padStart(6)} baud (${f0(bps)} B/s): engine ${share(cg.engine)}, string parser ${share(cg.stringSmall)} (${share(cg.stringBig)} without GC)`);
    }
    const goalAlloc = e.slots === 0 && e.chunkBytes === 0 && eGc.gcs === 0;
    const goalCpu = cg.engine <= cg.stringBig;
    console.log(`\ngoal: engine allocates nothing: ${goalAlloc ? "yes" : `NO (${e.slots} slots, ${e.chunkBytes} chunk bytes, ${eGc.gcs} GCs over the run)`}`);
    console.log(`goal: engine no more instructions per byte than the string parser (without its GC): ${goalCpu ? "yes" : `NO (${(cg.engine / cg.stringBig).toFixed(2)}x)`}`);
    console.log(`\nengine: native instructions by function, feed minus zero-input run (top 10):`);
    for (const l of hotspots("engine", 10)) console.log(l);
    console.log(`\ncallgrind files: ${CG_DIR} (callgrind_annotate <file>)`);
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
