/**
 * A realistic modem transcript for the XS parse benchmark, generated deterministically: mode-1
 * messages (`+MQTTMSGI`, then `+MQTTREAD` with a 200-byte payload that contains quotes, commas
 * and line ends, read by length), mode-0 `+MQTTMSG` lines (with the spaces some firmware puts
 * after commas), publish and subscribe acknowledgements after their `OK`, and `+CSQ` signal
 * reports, both as command responses and unsolicited. Runs in XS and in Node.
 */

import { prng } from "../../support/prng.ts";

/** What the host sends, in order; answers in the transcript come in the same order. */
export const CMD_READ = 0;
export const CMD_PUB = 1;
export const CMD_SUB = 2;
export const CMD_CSQ = 3;

export interface Transcript {
  bytes: Uint8Array;
  /** Commands the host must have queued (CMD_*), in transcript order. */
  commands: Uint8Array;
  /** Non-empty lines, counting a `+MQTTREAD` header and its length-bound record as one. */
  lines: number;
}

const TOPICS = ["devices/4f2a9c/cmd", "devices/4f2a9c/config", "fleet/all/ota", "devices/4f2a9c/cmd/reboot"];

/** The line shapes `generateShape` repeats, one row each in `bench:xs`'s table per line type. */
export const SHAPES = ["OK", "+MQTTPUB", "+MQTTMSGI", "+MQTTMSG", "+CSQ with OK", "+MQTTREAD with OK"];
const SHAPE_OK = 0;
const SHAPE_PUB = 1;
const SHAPE_MSGI = 2;
const SHAPE_MSG = 3;
const SHAPE_CSQ = 4;
const SHAPE_READ = 5;

/** Writes lines and the commands they answer; every shape's text comes from here. */
class Writer {
  readonly out: Uint8Array;
  readonly commands: number[] = [];
  n = 0;
  lines = 0;
  private readonly random: () => number;

  constructor(size: number, seed: number) {
    this.out = new Uint8Array(size);
    this.random = prng(seed);
  }

  uniform(): number {
    return this.random();
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  topic(): string {
    return TOPICS[this.int(0, TOPICS.length - 1)]!;
  }

  put(s: string): void {
    for (let i = 0; i < s.length; i++) this.out[this.n++] = s.charCodeAt(i);
  }

  line(s: string): void {
    this.put("\r\n" + s + "\r\n");
    this.lines++;
  }

  /** A 200-byte payload with quotes, commas and line ends in it, as binary payloads have. */
  payload(): string {
    let payload = "";
    for (let i = 0; i < 200; i++) {
      const k = this.random();
      payload += k < 0.02 ? "\r\n" : k < 0.05 ? '"' : k < 0.1 ? "," : String.fromCharCode(this.int(0x20, 0x7e));
    }
    return payload.slice(0, 200);
  }

  ok(command: number): void {
    this.commands.push(command);
    this.line("OK");
  }

  msgi(topic: string): void {
    this.line(`+MQTTMSGI: 1,1,${topic.length},200`);
  }

  /** The host's AT+MQTTREAD=1, answered by the record read by length and `OK`. */
  read(topic: string): void {
    this.commands.push(CMD_READ);
    this.put(`\r\n+MQTTREAD: 1,1,${topic.length},200,"${topic}","${this.payload()}"\r\n`);
    this.lines++;
    this.line("OK");
  }

  /** Mode 0: a small JSON command, quoted, spaces after commas. */
  message(topic: string): void {
    const payload = `{"seq":${this.int(0, 99999)},"set":{"led":${this.int(0, 1)},"level":${this.int(0, 255)}}}`;
    this.line(`+MQTTMSG: 1, ${this.int(0, 1)}, "${topic}", "${payload}"`);
  }

  csq(): void {
    this.line(`+CSQ: ${this.int(5, 31)},99`);
  }

  /** AT+CSQ answered. */
  csqCommand(): void {
    this.commands.push(CMD_CSQ);
    this.csq();
    this.line("OK");
  }

  done(): Transcript {
    return { bytes: this.out.slice(0, this.n), commands: Uint8Array.from(this.commands), lines: this.lines };
  }
}

export function generate(targetBytes = 200 * 1024, seed = 0x2545f491): Transcript {
  const w = new Writer(targetBytes + 4096, seed);
  while (w.n < targetBytes) {
    const r = w.uniform();
    const topic = w.topic();
    if (r < 0.3) {
      // Mode 1: announced, then read by length after the host's AT+MQTTREAD=1.
      w.msgi(topic);
      w.read(topic);
    } else if (r < 0.55) w.message(topic);
    else if (r < 0.8) {
      w.ok(CMD_PUB);
      w.line(`+MQTTPUB: 1,1`);
    } else if (r < 0.85) {
      w.ok(CMD_SUB);
      w.line(`+MQTTSUB: 1,1`);
    } else if (r < 0.95) w.csqCommand();
    else w.csq();
  }
  return w.done();
}

/** `count` repetitions of one of `SHAPES` (an index), each with the commands it answers. */
export function generateShape(shape: number, count: number, seed = 0x2545f491): Transcript {
  const w = new Writer(count * 320, seed);
  for (let i = 0; i < count; i++) {
    const topic = w.topic();
    if (shape === SHAPE_OK) w.ok(CMD_PUB);
    else if (shape === SHAPE_PUB) w.line(`+MQTTPUB: 1,1`);
    else if (shape === SHAPE_MSGI) w.msgi(topic);
    else if (shape === SHAPE_MSG) w.message(topic);
    else if (shape === SHAPE_CSQ) w.csqCommand();
    else if (shape === SHAPE_READ) w.read(topic);
  }
  return w.done();
}
