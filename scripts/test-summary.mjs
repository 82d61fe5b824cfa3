// Prints one closing line, "N passed, N failed", from vitest's JSON report.
// A missing or unreadable report counts as one failure: the run did not get as far as the tests.
import { readFileSync } from "node:fs";

const path = process.argv[2] ?? "reports/vitest.json";
let passed = 0;
let failed = 1;
try {
  const report = JSON.parse(readFileSync(path, "utf8"));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
  if (report.success === false && failed === 0) failed = 1;
} catch {
  console.error(`no test report at ${path}`);
}
console.log(`${passed} passed, ${failed} failed`);
