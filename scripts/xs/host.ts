/**
 * Builds and drives the project's XS test host (test/xs/host): unpacks the XS 13.3 sources that
 * the @agoric/xsnap npm package ships, compiles them with the host's Makefile, bundles scripts
 * for XS with esbuild, and runs them.
 *
 * The package is fetched with `npm pack` (not installed): only its C sources are wanted, and
 * installing it would pull ~80 JavaScript packages and a postinstall build. The tarball's
 * integrity is checked against the registry's published sha512 pinned below.
 *
 * Usage as a script: `tsx scripts/xs/host.ts build` (prints the host's path),
 * `tsx scripts/xs/host.ts run <entry.ts> [args...]` (bundles and runs one script).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

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

/** The unpacked package folder; fetched and checked on first use. */
export function xsnapSources(): string {
  const marker = join(XSNAP_DIR, "moddable/xs/sources/xsAll.c");
  if (existsSync(marker)) return XSNAP_DIR;
  const tmp = join(OUT, `pack-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const r = sh("npm", ["pack", XSNAP_SPEC, "--json", "--pack-destination", tmp, "--ignore-scripts"], tmp);
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
  const xsnap = xsnapSources();
  const jobs = String(Math.max(1, cpus().length));
  sh("make", ["-s", `-j${jobs}`, "-f", join(ROOT, "test/xs/host/Makefile"), `XSNAP=${xsnap}`, `OUT=${OUT}`], ROOT);
  return HOST;
}

/**
 * Bundles `entry` for XS 13.3: one IIFE script, ES2022, `cellmqtt/*` resolved to modules/*.
 * `Buffer` (used by some shared test fixtures) resolves to a small shim.
 */
export async function bundle(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "iife",
    target: "es2022",
    platform: "neutral",
    mainFields: ["module", "main"],
    // CELLMQTT_MODULES points `cellmqtt/*` at another tree: to measure a proposed patch of
    // modules/ in a scratch copy without touching the work tree.
    alias: { cellmqtt: resolve(process.env.CELLMQTT_MODULES ?? join(ROOT, "modules")) },
    inject: [join(ROOT, "test/xs/support/buffer-shim.ts")],
    logLevel: "silent",
    sourcemap: false,
    legalComments: "none",
  });
  return outfile;
}

export interface HostRun {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a bundled script in the host. `wrap` prefixes the command (valgrind, say). */
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

/** Bundles `entry` into build/xs/<name>.js and returns the bundle's path. */
export async function bundleTo(entry: string): Promise<string> {
  const rel = relative(ROOT, resolve(entry)).replace(/[\\/]/g, "_").replace(/\.ts$/, ".js");
  const out = join(ROOT, "build/xs", rel);
  mkdirSync(dirname(out), { recursive: true });
  return bundle(resolve(entry), out);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, entry, ...rest] = argv;
  if (cmd === "build") {
    process.stdout.write(buildHost() + "\n");
    return 0;
  }
  if (cmd === "run" && entry) {
    buildHost();
    const r = runScript(await bundleTo(entry), rest);
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.status ?? 1;
  }
  process.stderr.write("usage: tsx scripts/xs/host.ts build | run <entry.ts> [args...]\n");
  return 2;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

