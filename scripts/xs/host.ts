/**
 * Builds and drives the project's XS test host (test/xs/host): unpacks the XS 13.3 sources that
 * the @agoric/xsnap npm package ships, compiles them with the host's Makefile, compiles scripts
 * for XS with esbuild, and runs them.
 *
 * The package is fetched with `npm pack` (not installed): only its C sources are wanted, and
 * installing it would pull ~80 JavaScript packages and a postinstall build. The tarball's
 * integrity is checked against the registry's published sha512 pinned below.
 *
 * Usage as a script: `tsx scripts/xs/host.ts build` (prints the host's path),
 * `tsx scripts/xs/host.ts run [host options] <entry.ts> [args...]` (compiles and runs one script;
 * host options such as `--stack 512` or `--unfrozen` go to the host, see xshost.c).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const OUT = join(ROOT, "build/xs-host");
export const HOST = join(OUT, "xshost");

const XSNAP_SPEC = "@agoric/xsnap@0.15.0";
const XSNAP_INTEGRITY =
  "sha512-ZBm4DZxbtfacxMHVVdJjZi0Y8zOxN77vpu1WwI5RWfPkaRh0aHkz/dVdTGKXalDNzWfz183lljKxlxl3/h0n+A==";
const XSNAP_DIR = join(OUT, "xsnap-0.15.0");

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Stops with one line naming what the build lacks, before any long output could bury it. */
function need(cmd: string, what: string): void {
  if (spawnSync(cmd, ["--version"], { stdio: "ignore" }).error) throw new Error(`the XS test host cannot be built: ${what}`);
}

/** The unpacked package folder; fetched and checked on first use. */
export function xsnapSources(): string {
  const marker = join(XSNAP_DIR, "moddable/xs/sources/xsAll.c");
  if (existsSync(marker)) return XSNAP_DIR;
  const tmp = join(OUT, `pack-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const r = spawnSync("npm", ["pack", XSNAP_SPEC, "--json", "--pack-destination", tmp, "--ignore-scripts"], { cwd: tmp, encoding: "utf8" });
    if (r.error || r.status !== 0) {
      const why = (r.stderr ?? "").split("\n").find((l) => /ERR|error/i.test(l))?.trim() ?? r.error?.message ?? `exit ${r.status}`;
      throw new Error(`the XS test host cannot be built: npm pack ${XSNAP_SPEC} failed (its XS sources come from the npm registry): ${why}`);
    }
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))) as { filename: string }[];
    const tgz = join(tmp, info[0]!.filename);
    const digest = "sha512-" + createHash("sha512").update(readFileSync(tgz)).digest("base64");
    if (digest !== XSNAP_INTEGRITY) throw new Error(`${XSNAP_SPEC}: integrity mismatch (${digest})`);
    sh("tar", ["xzf", tgz, "-C", tmp], tmp);
    // The rename is atomic: a concurrent build sees either nothing or the whole tree.
    if (!existsSync(marker)) renameSync(join(tmp, "package"), XSNAP_DIR);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return XSNAP_DIR;
}

/** Builds the host if missing or out of date (make is incremental); returns its path. */
export function buildHost(): string {
  need("make", "make is not on PATH (apt-get install make)");
  need(process.env.CC ?? "cc", `no C compiler (${process.env.CC ?? "cc"}) on PATH (apt-get install gcc)`);
  const xsnap = xsnapSources();
  const jobs = String(Math.max(1, cpus().length));
  sh("make", ["-s", `-j${jobs}`, "-f", join(ROOT, "test/xs/host/Makefile"), `XSNAP=${xsnap}`, `OUT=${OUT}`], ROOT);
  return HOST;
}

const SHIM = join(ROOT, "test/xs/support/buffer-shim.ts");
/**
 * The Moddable modules the host bindings import, as the stand-ins test/firmware uses (they
 * follow the SDK's C sources), so an XS test can drive a binding the way the device does.
 */
const STAND_INS: Record<string, string> = {
  "embedded:io/serial": "test/firmware/moddable/serial-esp32.ts",
  "embedded:io/digital": "test/firmware/moddable/digital.ts",
  "timer": "test/firmware/moddable/timer.ts",
  "time": "test/firmware/moddable/time.ts",
  "mc/config": "test/firmware/moddable/config.ts",
};
const TREE = join(ROOT, "build/xs/modules");
/**
 * The engine's kernels in TypeScript, and what XS builds import in their place: the C kernels
 * compiled into the host, as on the device. CELLMQTT_KERNELS=ts keeps the TypeScript (to
 * measure it); a test that compares the two imports both files by path.
 */
const KERNELS_TS = "at/kernels.ts";
const NATIVE_KERNELS = join(ROOT, "test/xs/support/native-kernels.ts");

/** Where the compiled form of source `file` goes: the same relative path, `.mjs`. */
function compiledPath(file: string, tree = TREE): string {
  // Sources outside the project (CELLMQTT_MODULES) keep their place below a folder of their own.
  const rel = relative(ROOT, file).split(/[\\/]/).map((part) => (part === ".." ? "_up" : part)).join("/");
  return join(tree, rel.replace(/\.[cm]?[jt]s$/, "") + ".mjs");
}

/**
 * Compiles `entry` and every module it imports for XS 13.3, each to an ES module of its own
 * (ES2022) under build/xs/modules, with its imports pointing at the others by absolute path;
 * returns the entry's path. Moddable's own modules resolve to stand-ins (STAND_INS). XS then loads them as a Moddable build does, one module at a time:
 * a module's top-level variables take stack slots only while its body runs. (One bundle would
 * hold every module's variables on the stack for as long as the script runs, several hundred
 * slots that a device never spends.) `cellmqtt/*` resolves to modules/*, but for the engine's
 * kernels (see KERNELS_TS); `Buffer` (used by some shared test fixtures) resolves to a small shim.
 */
export async function compileTree(entry: string): Promise<string> {
  // CELLMQTT_MODULES points `cellmqtt/*` at another tree: to measure a proposed patch of
  // modules/ in a scratch copy without touching the work tree.
  const modules = resolve(process.env.CELLMQTT_MODULES ?? join(ROOT, "modules"));
  const nativeKernels = process.env.CELLMQTT_KERNELS !== "ts";
  const tree = nativeKernels ? TREE : `${TREE}-ts-kernels`;
  const out = (file: string): string => compiledPath(file, tree);
  const pending = [resolve(entry)];
  const compiled = new Set<string>();
  const oneModule: Plugin = {
    name: "one-module",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === "entry-point" || args.pluginData === oneModule) return undefined;
        const standIn = STAND_INS[args.path];
        if (standIn !== undefined) {
          pending.push(join(ROOT, standIn));
          return { path: out(join(ROOT, standIn)), external: true };
        }
        const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: oneModule });
        if (found.errors.length > 0) return { errors: found.errors };
        if (nativeKernels && found.path === join(modules, KERNELS_TS) && args.importer.startsWith(modules)) {
          pending.push(NATIVE_KERNELS);
          return { path: out(NATIVE_KERNELS), external: true };
        }
        pending.push(found.path);
        return { path: out(found.path), external: true };
      });
    },
  };
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (compiled.has(file)) continue;
    compiled.add(file);
    await build({
      entryPoints: [file],
      outfile: out(file),
      bundle: true,
      format: "esm",
      target: "es2022",
      platform: "neutral",
      mainFields: ["module", "main"],
      alias: { cellmqtt: modules },
      inject: file === SHIM ? [] : [SHIM],
      plugins: [oneModule],
      logLevel: "silent",
      sourcemap: false,
      legalComments: "none",
    });
  }
  return out(resolve(entry));
}

export interface HostRun {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a compiled script in the host. `wrap` prefixes the command (valgrind, say). */
export function runScript(script: string, args: string[] = [], opts: { timeoutMs?: number; wrap?: string[]; hostArgs?: string[] } = {}): HostRun {
  const wrap = opts.wrap ?? [];
  const argv = [...wrap, HOST, ...(opts.hostArgs ?? []), script, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 << 20,
    killSignal: "SIGKILL",
  });
  const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT";
  if (r.error && !timedOut) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "", timedOut };
}

/** Host options that take a value; the rest (`--unfrozen`) are flags. */
const VALUED = new Set(["--slots", "--chunks", "--stack"]);

async function main(argv: string[]): Promise<number> {
  const [cmd, ...tail] = argv;
  if (cmd === "build") {
    process.stdout.write(buildHost() + "\n");
    return 0;
  }
  const hostArgs: string[] = [];
  while (tail[0]?.startsWith("--")) hostArgs.push(...tail.splice(0, VALUED.has(tail[0]) ? 2 : 1));
  const [entry, ...rest] = tail;
  if (cmd === "run" && entry) {
    buildHost();
    const r = runScript(await compileTree(entry), rest, { hostArgs });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.status ?? 1;
  }
  process.stderr.write("usage: tsx scripts/xs/host.ts build | run [--stack N] [--slots N] [--chunks BYTES] [--unfrozen] <entry.ts> [args...]\n");
  return 2;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      // The first line says what went wrong (a missing tool names itself); the rest is detail.
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}

