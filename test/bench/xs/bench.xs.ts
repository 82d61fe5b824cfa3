/**
 * The XS side of `npm run bench:xs` (driven by run.ts). Arguments: <engine|string> [full|transcript]
 *
 *   engine  the transcript in 64-byte reads (the headline figure), in 16- and 128-byte reads
 *           (their difference is the fixed cost of a read), then each of `SHAPES` repeated, in
 *           128-byte reads (the ESP32's FIFO): one measurement each
 *   string  the transcript through the string parser in 64-byte reads
 *   transcript  the transcript in 64-byte reads only
 *   full    the transcript in 64-byte reads only, hashing every byte of topics and payloads (the
 *           equality check; not for figures)
 *
 * Every measurement is two phases over the same reads. "copy" copies each read into the engine's
 * stage, as `serial.read(stage)` does on the device, and parses nothing; "feed" copies and calls
 * `engine.received`. The string parser's reads arrive as ready-made views, so its copy phase
 * only loops. Feed minus copy is the parser's cost: framing, dispatch, the command channel, and
 * the benchmark's handlers with their event hashing, which the string parser does too.
 * Under callgrind, `host.callgrindDump(n)` ends phase n, so run.ts reads each phase's instructions
 * from its own dump; the XS counters are read here around each phase. One `XSBENCH {json}` line
 * per measurement, and for the engine one `XSHEAP {json}` line.
 */
import { BYTECODES, CHUNK_BYTES, GCS, SLOTS, SLOT_SIZE, counters, host } from "../../xs/harness.ts";
import { AtEngine } from "cellmqtt/at/engine";
import { EngineDriver } from "./engine-driver.ts";
import { Events } from "./events.ts";
import { StringParser } from "./string-parser.ts";
import { SHAPES, generate, generateShape, type Transcript } from "./transcript.ts";

/** Repetitions of each line shape. */
const SHAPE_COUNT = 400;
const [mode = "engine", full = ""] = host.scriptArgs;

let phase = 0;
/** Ends the phase in progress (under callgrind, dumps its counts); returns its number. */
function endPhase(): number {
  host.callgrindDump(phase);
  return phase++;
}

/**
 * Reads are views made before measuring: on the device `serial.read(buffer)` fills a buffer the
 * host already has, so making them is no part of either parser's cost.
 */
function views(bytes: Uint8Array, size: number): Uint8Array[] {
  const reads: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) reads.push(bytes.subarray(i, Math.min(i + size, bytes.length)));
  return reads;
}

const a = counters();
const b = counters();
const c = counters();
const d = counters();

function report(name: string, t: Transcript, size: number, reads: number, copy: number, feed: number, events: Events, driver: EngineDriver | null): void {
  host.print(
    "XSBENCH " +
      JSON.stringify({
        name,
        readSize: size,
        fed: t.bytes.length,
        lines: t.lines,
        reads,
        copyPhase: copy,
        feedPhase: feed,
        slotSize: d[SLOT_SIZE],
        retainedSlots: a[SLOTS]! - d[SLOTS]!,
        retainedChunkBytes: a[CHUNK_BYTES]! - d[CHUNK_BYTES]!,
        slots: c[SLOTS]! - b[SLOTS]! - (b[SLOTS]! - a[SLOTS]!),
        chunkBytes: c[CHUNK_BYTES]! - b[CHUNK_BYTES]! - (b[CHUNK_BYTES]! - a[CHUNK_BYTES]!),
        gcs: c[GCS]! - b[GCS]!,
        bytecodes: c[BYTECODES]! - b[BYTECODES]! - (b[BYTECODES]! - a[BYTECODES]!),
        counts: Array.from(events.counts),
        hash: events.hash,
        unhandled: driver !== null ? driver.engine.stats[2] : 0,
        queued: driver !== null ? driver.engine.queued : 0,
      }),
  );
}

function measureEngine(name: string, t: Transcript, size: number): void {
  const reads = views(t.bytes, size);
  const events = new Events(full === "full");
  host.gc();
  host.xsCounters(d);
  const driver = new EngineDriver(events, t.commands);
  driver.queueAll();
  const engine = driver.engine;
  const stage = engine.rxStage;
  host.gc();
  endPhase(); // set-up: not measured
  // Both phases take each read's length, as the device's `serial.read` returns it: the feed
  // phase then differs from the copy phase by the engine's work alone.
  let total = 0;
  host.xsCounters(a);
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    stage.set(r, 0);
    total += r.length;
  }
  host.xsCounters(b);
  const copy = endPhase();
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    stage.set(r, 0);
    engine.received(r.length);
  }
  host.xsCounters(c);
  const feed = endPhase();
  if (total !== t.bytes.length) throw new Error("reads do not cover the transcript");
  report(name, t, size, reads.length, copy, feed, events, driver);
}

function measureString(name: string, t: Transcript, size: number): void {
  const reads = views(t.bytes, size);
  const events = new Events(full === "full");
  host.gc();
  host.xsCounters(d);
  const parser = new StringParser(events);
  host.gc();
  endPhase();
  host.xsCounters(a);
  let n = 0;
  for (let i = 0; i < reads.length; i++) n += reads[i]!.length;
  host.xsCounters(b);
  const copy = endPhase();
  for (let i = 0; i < reads.length; i++) parser.receive(reads[i]!);
  host.xsCounters(c);
  const feed = endPhase();
  if (n !== t.bytes.length) throw new Error("reads do not cover the transcript");
  report(name, t, size, reads.length, copy, feed, events, null);
}

/**
 * The engine alone, set up as the modem layer does (its tokens, one handler, the record
 * prefix): what it keeps on the heap for good.
 */
function engineHeap(): void {
  const TOKENS = ["+COPS", "+CSQ", "+CPIN", "+CEREG", "+MIPCALL", "+MQTTUSER", "+MQTTOPEN", "+MQTTCLOSE", "+MQTTSUB",
    "+MQTTUNSUB", "+MQTTPUB", "+MQTTCONF", "+MQTTMSG", "+MQTTMSGI", "+MQTTREAD", "+MQTTWILL", "+MQTTBREAK", "RDY"];
  const handler = { onLine(): void {} };
  const timer = { schedule(): void {}, cancel(): void {} };
  const clock = { now: (): number => 0, timer: () => timer };
  const port = { write(): void {} };
  host.gc();
  host.xsCounters(a);
  const alone = new AtEngine({ tx: port, clock });
  for (const t of TOKENS) alone.listen(alone.token(t), handler);
  alone.readRecords("+MQTTREAD:", { onRecordStart(): void {}, onRecordPayload(): void {}, onRecordEnd(): void {} }, 1024);
  host.gc();
  host.xsCounters(b);
  host.print(
    "XSHEAP " +
      JSON.stringify({ slotSize: b[SLOT_SIZE], slots: b[SLOTS]! - a[SLOTS]!, chunkBytes: b[CHUNK_BYTES]! - a[CHUNK_BYTES]!, bytes: alone.bytes.length }),
  );
}

const transcript = generate();
if (mode === "string") measureString("transcript", transcript, 64);
else {
  measureEngine("transcript", transcript, 64);
  if (full === "") {
    engineHeap();
    measureEngine("transcript-16", transcript, 16);
    measureEngine("transcript-128", transcript, 128);
    for (let s = 0; s < SHAPES.length; s++) measureEngine(SHAPES[s]!, generateShape(s, SHAPE_COUNT), 128);
  }
}
endPhase();
