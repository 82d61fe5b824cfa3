/**
 * Steady-state allocation budgets of the AT engine, measured in XS: after warm-up, each path
 * below must allocate 0 slots, 0 chunk bytes and cause 0 collections per operation over
 * thousands of operations. The drivers here (clock, port, owner, handlers) allocate nothing
 * themselves, so whatever is counted is the engine's.
 *
 * Adding a budget: `budget("what", () => { set-up; return (i) => { one operation }; })`.
 */
import { AtEngine, type CommandOwner, type LineHandler, type RecordSink } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock, TxPort } from "cellmqtt/at/port";
import {
  RECORD_OK,
  RESULT_CME_ERROR,
  RESULT_ERROR,
  RESULT_OK,
  STAT_PROMPTS_OVERDUE,
  STAT_RESYNCS,
  STAT_UNMATCHED,
} from "cellmqtt/at/results";
import { assertEqual, budget, run, test } from "../harness.ts";

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** A clock whose time never moves: no command times out during a budget. */
class StillClock implements Clock, AlarmTimer {
  due = -1;
  now(): number {
    return 1000;
  }
  timer(): AlarmTimer {
    return this;
  }
  schedule(ms: number): void {
    this.due = ms;
  }
  cancel(): void {
    this.due = -1;
  }
}

/** A clock moved by hand, with the one timer the engine makes; firing it allocates nothing. */
class HandClock implements Clock, AlarmTimer {
  time = 0;
  due = -1;
  private fire: () => void = () => {};
  now(): number {
    return this.time;
  }
  timer(fire: () => void): AlarmTimer {
    this.fire = fire;
    return this;
  }
  schedule(ms: number): void {
    this.due = this.time + ms;
  }
  cancel(): void {
    this.due = -1;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    while (this.due >= 0 && this.due <= end) {
      this.time = this.due;
      this.due = -1;
      this.fire();
    }
    this.time = end;
  }
}

/** Counts what the engine writes. */
class CountingPort implements TxPort {
  written = 0;
  write(_bytes: Uint8Array, _offset: number, length: number): void {
    this.written += length;
  }
}

/** Owner and handler of everything; keeps only numbers. */
class Driver implements CommandOwner, LineHandler, RecordSink {
  readonly port = new CountingPort();
  readonly clock: Clock;
  readonly engine: AtEngine;
  // Keys as fields: `record["+MQTTMSG"]` (a literal computed key) allocates 32 chunk bytes in XS.
  readonly keyCsq: number;
  readonly keyMsg: number;
  readonly keyRead: number;
  lines = 0;
  responses = 0;
  finals = 0;
  lastResult = -1;
  lastCode = -1;
  rawBytes = 0;
  raws = 0;
  sum = 0;
  topicMatches = 0;
  private readonly topic = ascii("devices/abc/cmd");

  constructor(options: { txBudget?: number; clock?: Clock } = {}) {
    this.clock = options.clock ?? new StillClock();
    this.engine = new AtEngine({ tx: this.port, clock: this.clock, txBudget: options.txBudget });
    for (const t of ["+CSQ", "+MQTTPUB", "+MQTTSUB", "+MQTTMSG", "+MQTTMSGI", "+MQTTREAD", "+MQTTBREAK", "RDY"]) {
      this.engine.listen(this.engine.token(t), this);
    }
    this.keyCsq = this.engine.token("+CSQ");
    this.keyMsg = this.engine.token("+MQTTMSG");
    this.keyRead = this.engine.token("+MQTTREAD");
    this.engine.readRecords("+MQTTREAD:", this, 1024);
  }

  onLine(key: number, bytes: Uint8Array, body: number, end: number): void {
    this.lines++;
    const f = this.engine.fields;
    const n = f.parse(bytes, body, end);
    this.sum += n + f.int(0) + f.int(1);
    if (key === this.keyMsg && f.equals(2, this.topic)) this.topicMatches++;
  }

  onResponse(_tag: number, _key: number, bytes: Uint8Array, body: number, end: number): boolean {
    this.responses++;
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    this.sum += f.int(0) + f.int(1);
    return true;
  }

  onFinal(_tag: number, result: number, code: number): void {
    this.finals++;
    this.lastResult = result;
    this.lastCode = code;
  }

  onRecordStart(id: number, qos: number, topicLength: number, payloadLength: number): void {
    this.sum += id + qos + topicLength + payloadLength;
  }

  onRecordPayload(bytes: Uint8Array, start: number, end: number, offset: number): void {
    this.rawBytes += end - start;
    this.sum += bytes[start]! + offset;
  }

  onRecordEnd(status: number, bytes: Uint8Array, topicStart: number, topicEnd: number): void {
    if (status === RECORD_OK) this.raws++;
    if (topicEnd - topicStart === this.topic.length && bytes[topicStart] === this.topic[0]) this.topicMatches++;
  }

  /** Queues `line` (pre-encoded, without CR) owned by this driver. */
  command(line: Uint8Array, tag: number, responseKey = -1, data: Uint8Array | null = null): void {
    const e = this.engine.command(this, tag, responseKey, 5000);
    if (e === null) throw new Error("queue full");
    e.raw(line);
    if (data !== null) e.data(data, 0, data.length);
    if (!this.engine.send()) throw new Error("command refused");
  }

  /** Feeds `data` the way the ESP32 host does: read into rxStage, then received(count). */
  feedStaged(chunks: Uint8Array[]): void {
    const stage = this.engine.rxStage;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      stage.set(c, 0);
      this.engine.received(c.length);
    }
  }
}

/** Views over `data`, `size` bytes each, made once at set-up. */
function chunked(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(data.length, i + size)));
  return out;
}

const URCS = ascii(
  "\r\n+MQTTPUB: 1,1\r\n\r\n+MQTTSUB: 1,1\r\n\r\n+CSQ: 23,99\r\n\r\n+MQTTBREAK: 1,1\r\n\r\nRDY\r\n" +
    '\r\n+MQTTMSG: 1, 0, "devices/abc/cmd", "{\\"on\\":true,\\"level\\":42}"\r\n',
);

budget("at: unsolicited lines and field parsing, fed by receive()", () => {
  const d = new Driver();
  return () => d.engine.receive(URCS, 0, URCS.length);
});

budget("at: unsolicited lines, fed through rxStage + received() in 64-byte reads", () => {
  const d = new Driver();
  const chunks = chunked(URCS, 64);
  return () => d.feedStaged(chunks);
});

budget("at: lines cut at every position (partial lines wait, ring compacts)", () => {
  const d = new Driver();
  const line = ascii("\r\n+MQTTPUB: 1,1\r\n");
  return (i) => {
    const cut = i % line.length;
    d.engine.receive(line, 0, cut);
    d.engine.receive(line, cut, line.length - cut);
  };
});

const AT_CSQ = ascii("AT+CSQ");
const CSQ_ANSWER = ascii("\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
budget("at: command with a response line and OK", () => {
  const d = new Driver();
  const key = d.keyCsq;
  return (i) => {
    d.command(AT_CSQ, i, key);
    d.engine.receive(CSQ_ANSWER, 0, CSQ_ANSWER.length);
  };
});

const AT_OPEN = ascii('AT+MQTTOPEN=1,"broker.example",1883,0,80');
const ERRORS = [ascii("\r\nERROR: 703\r\n"), ascii("\r\n+CME ERROR: 10\r\n"), ascii("\r\nERROR\r\n"), ascii("\r\nOK\r\n")];
budget("at: command completion with each final result form", () => {
  const d = new Driver();
  return (i) => {
    const answer = ERRORS[i & 3]!;
    d.command(AT_OPEN, i);
    d.engine.receive(answer, 0, answer.length);
  };
});

budget("at: unsolicited lines while a command waits, then its OK", () => {
  const d = new Driver();
  const ok = ascii("\r\nOK\r\n");
  return (i) => {
    d.command(AT_OPEN, i);
    d.engine.receive(URCS, 0, URCS.length);
    d.engine.receive(ok, 0, ok.length);
  };
});

budget("at: output through writable() grants of 16 bytes", () => {
  const d = new Driver({ txBudget: 0 });
  const ok = ascii("\r\nOK\r\n");
  return (i) => {
    d.command(AT_OPEN, i);
    // 42 bytes (the line and its CR) in grants of 16, as an ESP32 onWritable would give them.
    for (let k = 0; k < 3; k++) d.engine.writable(16);
    d.engine.receive(ok, 0, ok.length);
  };
});

/**
 * A mode-1 message: +MQTTMSGI, then AT+MQTTREAD=1 answered with a 1024-byte payload by length,
 * the record on the header's line or (`twoLine`, as the manual prints it) on the next.
 */
function mqttRead(payloadLength: number, twoLine = false): { msgi: Uint8Array; answer: Uint8Array } {
  const topic = "devices/abc/cmd";
  let payload = "";
  for (let i = 0; i < payloadLength; i++) payload += String.fromCharCode(i % 7 === 0 ? 0x0a : i % 11 === 0 ? 0x22 : 0x20 + (i % 90));
  return {
    msgi: ascii(`\r\n+MQTTMSGI: 1,1,${topic.length},${payloadLength}\r\n`),
    answer: ascii(`\r\n+MQTTREAD: 1,1,${topic.length},${payloadLength}${twoLine ? "\r\n" : ","}"${topic}","${payload}"\r\n\r\nOK\r\n`),
  };
}

const AT_READ = ascii("AT+MQTTREAD=1");
/** One mode-1 message per op: +MQTTMSGI, AT+MQTTREAD=1, its answer in 128-byte reads. */
function readCycle(twoLine: boolean): (i: number) => void {
  const d = new Driver();
  const m = mqttRead(1024, twoLine);
  const msgi = chunked(m.msgi, 128);
  const answer = chunked(m.answer, 128);
  const key = d.keyRead;
  return (i) => {
    d.feedStaged(msgi);
    d.command(AT_READ, i, key);
    d.feedStaged(answer);
  };
}

budget("at: 1024-byte +MQTTREAD payload read by length (128-byte reads)", () => readCycle(false), { ops: 2000 });
budget("at: 1024-byte +MQTTREAD payload on the line after its header, read by length (128-byte reads)", () => readCycle(true), { ops: 2000 });

budget("at: a 1024-byte +MQTTREAD record with no read waiting (late), still framed by length", () => {
  const d = new Driver();
  const answer = chunked(mqttRead(1024).answer, 128);
  return () => d.feedStaged(answer);
}, { ops: 2000 });

const AT_PUB = ascii('AT+MQTTPUB=1,"devices/abc/telemetry",1,0,1024');
budget("at: publish in length form: prompt, then 1024 data bytes", () => {
  const d = new Driver();
  const data = new Uint8Array(1024).fill(0x5a);
  const answer = ascii("\r\n> \r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n");
  return (i) => {
    d.command(AT_PUB, i, -1, data);
    d.engine.receive(answer, 0, answer.length);
  };
});

const SYNC_ANSWER = ascii("\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n");
const LATE = ascii("\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
/** A command given up, its late answer, quiet, the sync and its answer, quiet: back in step. */
function resyncCycle(d: Driver, clock: HandClock, i: number): void {
  d.command(AT_CSQ, i, d.keyCsq);
  clock.advance(5000);
  d.engine.receive(LATE, 0, LATE.length);
  clock.advance(500);
  d.engine.receive(SYNC_ANSWER, 0, SYNC_ANSWER.length);
  clock.advance(500);
}

budget("at: a command given up and step restored (late answer, quiet, sync, answer, quiet)", () => {
  const clock = new HandClock();
  const d = new Driver({ clock });
  return (i) => resyncCycle(d, clock, i);
});

const AT_PUB_3 = ascii('AT+MQTTPUB=1,"t",1,0,3');
const PAYLOAD_3 = ascii("abc");
const LATE_PROMPT = ascii("\r\n> ");
const PUB_ANSWER = ascii("\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n");
budget("at: a prompt late past the timeout, within the grace: the payload, then the result", () => {
  const clock = new HandClock();
  const d = new Driver({ clock });
  return (i) => {
    d.command(AT_PUB_3, i, -1, PAYLOAD_3);
    clock.advance(6000);
    d.engine.receive(LATE_PROMPT, 0, LATE_PROMPT.length);
    d.engine.receive(PUB_ANSWER, 0, PUB_ANSWER.length);
  };
});

// The drivers above must really exercise the paths they name: one pass, checked.
test("at: the budget drivers see the events they claim", () => {
  const d = new Driver();
  d.engine.receive(URCS, 0, URCS.length);
  assertEqual(d.lines, 6, "unsolicited lines");
  assertEqual(d.topicMatches, 1, "+MQTTMSG topic matched from bytes");
  d.command(AT_CSQ, 1, d.keyCsq);
  d.engine.receive(CSQ_ANSWER, 0, CSQ_ANSWER.length);
  assertEqual(d.responses, 1, "responses");
  assertEqual(d.lastResult, RESULT_OK, "result");
  d.command(AT_OPEN, 2);
  d.engine.receive(ERRORS[0]!, 0, ERRORS[0]!.length);
  assertEqual(d.lastResult, RESULT_ERROR, "ERROR: 703");
  assertEqual(d.lastCode, 703, "code");
  d.command(AT_OPEN, 3);
  d.engine.receive(ERRORS[1]!, 0, ERRORS[1]!.length);
  assertEqual(d.lastResult, RESULT_CME_ERROR, "+CME ERROR");
  // The record on the header's line, then on the next.
  for (let n = 1; n <= 2; n++) {
    const m = mqttRead(1024, n === 2);
    d.feedStaged(chunked(m.msgi, 128));
    d.command(AT_READ, 3 + n * 3, d.keyRead);
    d.feedStaged(chunked(m.answer, 128));
    assertEqual(d.raws, n, "records delivered");
    assertEqual(d.rawBytes, 1024 * n, "payload bytes");
    assertEqual(d.topicMatches, 1 + n, "record topic");
    assertEqual(d.finals, 3 + n, "finals");
  }
  const before = d.port.written;
  d.command(AT_PUB, 5, -1, new Uint8Array(1024));
  d.engine.receive(ascii("\r\n> \r\nOK\r\n"), 0, 10);
  assertEqual(d.port.written - before, AT_PUB.length + 1 + 1024, "line and data written");
  assertEqual(d.engine.queued, 0, "queue drained");
  assertEqual(d.engine.stats[2], 0, "unhandled lines");
  const clock = new HandClock();
  const h = new Driver({ clock });
  resyncCycle(h, clock, 1);
  assertEqual(h.engine.stats[STAT_RESYNCS], 1, "resynced");
  assertEqual(h.engine.stats[STAT_UNMATCHED], 1, "late OK unmatched");
  assertEqual(h.engine.inStep, true, "in step");
  assertEqual(h.port.written, AT_CSQ.length + 1 + "AT+CSQ=?\r".length, "command and sync written");
  h.command(AT_PUB_3, 2, -1, PAYLOAD_3);
  clock.advance(6000);
  h.engine.receive(LATE_PROMPT, 0, LATE_PROMPT.length);
  h.engine.receive(PUB_ANSWER, 0, PUB_ANSWER.length);
  assertEqual(h.lastResult, RESULT_OK, "late-prompt publish ends OK");
  assertEqual(h.engine.stats[STAT_PROMPTS_OVERDUE], 1, "prompt overdue");
  const g = new Driver({ txBudget: 0 });
  g.command(AT_OPEN, 1);
  assertEqual(g.port.written, 0, "nothing written before a grant");
  for (let k = 0; k < 3; k++) g.engine.writable(16);
  assertEqual(g.port.written, AT_OPEN.length + 1, "line written through three grants");
});

run();
