/**
 * Runs the XS test scripts (test/xs/cases/*.xs.ts) inside the real XS engine, with the built-ins
 * frozen as on a Moddable device, and reports each
 * XS case as its own vitest test. Builds the XS host first if needed (one ~15-40 s C build;
 * incremental afterwards). A script that throws, aborts, hangs or stops early fails here too.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, buildHost, compileTree, runScript, type HostRun } from "../../scripts/xs/host.ts";

interface CaseLine {
  name: string;
  ok: boolean;
  message: string;
}

interface ScriptResult {
  file: string;
  run: HostRun;
  cases: CaseLine[];
  done: { passed: number; failed: number } | null;
}

const CASES_DIR = join(ROOT, "test/xs/cases");
const files = readdirSync(CASES_DIR).filter((f) => f.endsWith(".xs.ts")).sort();

function parse(file: string, run: HostRun): ScriptResult {
  const cases: CaseLine[] = [];
  let done: ScriptResult["done"] = null;
  for (const line of run.stdout.split("\n")) {
    if (line.startsWith("XSCASE ")) cases.push(JSON.parse(line.slice(7)) as CaseLine);
    else if (line.startsWith("XSDONE ")) done = JSON.parse(line.slice(7)) as ScriptResult["done"];
  }
  return { file, run, cases, done };
}

/**
 * Every script runs with the stack a device gets: the `creation.stack` the library's manifest
 * sets (test/xs/cases/stack.xs.ts measures what the library needs and checks that value).
 */
const manifest = JSON.parse(readFileSync(join(ROOT, "modules/mqtt/manifest.json"), "utf8")) as { creation: { stack: number } };
const STACK = ["--stack", String(manifest.creation.stack)];

// The XS runs happen while collecting, so each XS case can become a named vitest test.
buildHost();
const results: ScriptResult[] = [];
for (const file of files) {
  const script = await compileTree(join(CASES_DIR, file));
  results.push(parse(file, runScript(script, [], { timeoutMs: 120_000, hostArgs: STACK })));
}

function describeRun(r: ScriptResult): string {
  const how = r.run.timedOut ? "timed out" : r.run.signal ? `killed by ${r.run.signal}` : `exited ${r.run.status}`;
  return `${r.file} ${how}\n--- stderr ---\n${r.run.stderr}\n--- stdout (tail) ---\n${r.run.stdout.slice(-2000)}`;
}

for (const r of results) {
  describe(`XS: ${r.file}`, () => {
    for (const c of r.cases) {
      it(c.name, () => {
        if (!c.ok) expect.fail(c.message);
      });
    }
    // Uncaught exceptions, aborts (stack overflow, memory full), hangs and early exits.
    it("runs to completion", () => {
      if (r.run.status !== 0 || r.done === null) expect.fail(describeRun(r));
      expect(r.done.passed + r.done.failed).toBe(r.cases.length);
      expect(r.cases.length).toBeGreaterThan(0);
    });
  });
}
