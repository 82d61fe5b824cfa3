/**
 * `npm run bench`: parse throughput on Node of the AT engine against an idiomatic string-based
 * parser (accumulate a string, split on CRLF, a regular expression per line), on the same
 * ~200 KB realistic modem transcript fed in 64-byte reads, in the same run. Both must report the
 * same events (checked by hash), or the figures are void. Prints figures; asserts nothing about time.
 */
import { EngineDriver } from "./xs/engine-driver.ts";
import { Events } from "./xs/events.ts";
import { StringParser } from "./xs/string-parser.ts";
import { generate } from "./xs/transcript.ts";

const READ = 64;
const ROUNDS = 30;
const t = generate();
const reads: Uint8Array[] = [];
for (let i = 0; i < t.bytes.length; i += READ) reads.push(t.bytes.subarray(i, Math.min(i + READ, t.bytes.length)));

function runEngine(events: Events): void {
  const driver = new EngineDriver(events, t.commands);
  const engine = driver.engine;
  const stage = engine.rxStage;
  driver.queueAll();
  for (const r of reads) {
    stage.set(r, 0);
    engine.received(r.length);
  }
}

function runString(events: Events): void {
  const parser = new StringParser(events);
  for (const r of reads) parser.receive(r);
}

function check(): void {
  const a = new Events(true);
  const b = new Events(true);
  runEngine(a);
  runString(b);
  if (a.hash !== b.hash || a.counts.join() !== b.counts.join()) {
    console.error(`parsers disagree: engine ${a.counts.join()} #${a.hash}, string ${b.counts.join()} #${b.hash}`);
    process.exit(1);
  }
}

/** Best of ROUNDS, in ms, after a warm-up. */
function time(run: (e: Events) => void): number {
  for (let i = 0; i < 5; i++) run(new Events(false));
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const events = new Events(false);
    const start = process.hrtime.bigint();
    run(events);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

check();
const engineMs = time(runEngine);
const stringMs = time(runString);
const mb = t.bytes.length / 1e6;
const row = (name: string, ms: number): string =>
  `${name.padEnd(14)} ${(mb / (ms / 1000)).toFixed(1).padStart(8)} MB/s ${Math.round(t.lines / (ms / 1000)).toLocaleString("en").padStart(12)} lines/s  ${ms.toFixed(2)} ms per pass`;
console.log(`Node ${process.version}: ${t.bytes.length} bytes, ${t.lines} lines, ${reads.length} reads of ${READ} bytes; best of ${ROUNDS}; events equal`);
console.log(row("AT engine", engineMs));
console.log(row("string parser", stringMs));
console.log(`engine / string speed: ${(stringMs / engineMs).toFixed(2)}x`);
