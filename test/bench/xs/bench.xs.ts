/**
 * The XS side of `npm run bench:xs` (driven by run.ts): generates the transcript, then feeds it
 * in 64-byte reads through the AT engine or the string parser and prints one `XSBENCH {json}`
 * line with the counters around the feed.
 *
 * Arguments: <engine|string> <feed|zero> [full]
 *   zero  does everything but the feed (callgrind baseline; the engine's still copies each read
 *         into its stage, which is the UART read, not parsing)
 *   full  hashes every byte of topics and payloads (the equality check; not for figures)
 */
import { BYTECODES, CHUNK_BYTES, GCS, SLOTS, SLOT_SIZE, counters, host } from "../../xs/harness.ts";
import { AtEngine } from "cellmqtt/at/engine";
import { EngineDriver } from "./engine-driver.ts";
import { Events } from "./events.ts";
import { StringParser } from "./string-parser.ts";
import { generate } from "./transcript.ts";

const READ = 64;
const [mode = "engine", feed = "feed", full = ""] = host.scriptArgs;
const t = generate();
// Reads are views made before measuring: on the device `serial.read(buffer)` fills a buffer
// the host already has, so making them is no part of either parser's cost.
const reads: Uint8Array[] = [];
for (let i = 0; i < t.bytes.length; i += READ) reads.push(t.bytes.subarray(i, Math.min(i + READ, t.bytes.length)));
const events = new Events(full === "full");
// Decided before measuring: comparing with a string literal evaluates it, and that allocates.
const count = feed === "feed" ? reads.length : 0;

// The engine alone, set up as the modem layer does (its tokens, one handler, the record
// prefix): what it keeps on the heap for good.
const TOKENS = ["+COPS", "+CSQ", "+CPIN", "+CEREG", "+MIPCALL", "+MQTTUSER", "+MQTTOPEN", "+MQTTCLOSE", "+MQTTSUB",
  "+MQTTUNSUB", "+MQTTPUB", "+MQTTCONF", "+MQTTMSG", "+MQTTMSGI", "+MQTTREAD", "+MQTTWILL", "+MQTTBREAK", "RDY"];
const e0 = counters();
const e1 = counters();
const handler = { onLine(): void {} };
const timer = { schedule(): void {}, cancel(): void {} };
const clock = { now: (): number => 0, timer: () => timer };
const port = { write(): void {} };
host.gc();
host.xsCounters(e0);
const alone = new AtEngine({ tx: port, clock });
for (const t of TOKENS) alone.listen(alone.token(t), handler);
alone.recordPrefix("+MQTTREAD:");
host.gc();
host.xsCounters(e1);

const c0 = counters();
const c1 = counters();
const c2 = counters();
host.gc();
host.xsCounters(c0);
let driver: EngineDriver | null = null;
let parser: StringParser | null = null;
if (mode === "engine") {
  driver = new EngineDriver(events, t.commands);
  driver.queueAll();
}
else parser = new StringParser(events);
host.gc();
host.xsCounters(c1);

if (driver !== null) {
  const engine = driver.engine;
  const stage = engine.rxStage;
  // The engine's reads land in its stage, as `serial.read(stage)` puts them on the device; the
  // string parser's arrive as ready-made views. Neither read is parse work, so the engine's
  // zero-input run makes the same copies into the stage and parses nothing: the difference
  // leaves the copies out, as the string parser's figures leave out its reads.
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    stage.set(r, 0);
    if (count > 0) engine.received(r.length);
  }
} else {
  for (let i = 0; i < count; i++) parser!.receive(reads[i]!);
}
host.xsCounters(c2);

host.print(
  "XSBENCH " +
    JSON.stringify({
      mode,
      fed: count > 0 ? t.bytes.length : 0,
      lines: t.lines,
      reads: count,
      slotSize: c2[SLOT_SIZE],
      engineSlots: e1[SLOTS]! - e0[SLOTS]!,
      engineChunkBytes: e1[CHUNK_BYTES]! - e0[CHUNK_BYTES]!,
      engineBytes: alone.bytes.length,
      retainedSlots: c1[SLOTS]! - c0[SLOTS]!,
      retainedChunkBytes: c1[CHUNK_BYTES]! - c0[CHUNK_BYTES]!,
      slots: c2[SLOTS]! - c1[SLOTS]!,
      chunkBytes: c2[CHUNK_BYTES]! - c1[CHUNK_BYTES]!,
      gcs: c2[GCS]! - c1[GCS]!,
      bytecodes: c2[BYTECODES]! - c1[BYTECODES]!,
      counts: Array.from(events.counts),
      hash: events.hash,
      unhandled: driver !== null ? driver.engine.stats[2] : 0,
      queued: driver !== null ? driver.engine.queued : 0,
    }),
);
