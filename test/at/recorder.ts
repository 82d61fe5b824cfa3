import { AtEngine, type CommandOwner, type LineHandler, type RecordSink } from "cellmqtt/at/engine";
import { RECORD_NONE, RECORD_OK, recordName, resultName, noticeName } from "cellmqtt/at/results";
import { text } from "cellmqtt/at/bytes";
import { FakeClock } from "../support/fake-clock.ts";
import { MockUart } from "../support/mock-uart.ts";

export const TOKENS = [
  "+COPS", "+CSQ", "+CPIN", "+CEREG", "+MIPCALL", "+MQTTUSER", "+MQTTOPEN", "+MQTTCLOSE", "+MQTTSUB",
  "+MQTTUNSUB", "+MQTTPUB", "+MQTTCONF", "+MQTTMSG", "+MQTTMSGI", "+MQTTREAD", "+MQTTWILL", "+MQTTBREAK", "RDY",
] as const;

export interface Queued {
  line: string;
  response?: string;
  data?: Uint8Array;
  timeoutMs?: number;
  /** Accept only response lines whose body matches (default: all). */
  accept?: RegExp;
}

/**
 * An engine on a mock UART that writes down everything it reports, as text, so two runs can be
 * compared whatever way their input was split.
 */
export class Recorder implements CommandOwner, LineHandler, RecordSink {
  readonly uart = new MockUart();
  readonly clock = new FakeClock();
  readonly engine: AtEngine;
  readonly events: string[] = [];
  private readonly accept = new Map<number, RegExp>();
  private raw: number[] = [];
  private nextTag = 1;

  constructor(options: { rxCapacity?: number; txCapacity?: number; queueDepth?: number; txBudget?: number; payloadMax?: number } = {}) {
    this.engine = new AtEngine({ tx: this.uart, clock: this.clock, queueDepth: 16, ...options });
    for (const t of TOKENS) this.engine.listen(this.engine.token(t), this);
    this.engine.readRecords("+MQTTREAD:", this, options.payloadMax ?? 1024);
    this.engine.onNotice = (notice, bytes, start, end) =>
      this.events.push(`notice ${noticeName(notice)}${end > start ? " " + text(bytes, start, end) : ""}`);
  }

  /** Queues a command; returns its tag, or -1 if the engine refused it. */
  queue(cmd: Queued): number {
    const tag = this.nextTag++;
    const key = cmd.response ? this.engine.token(cmd.response) : -1;
    const e = this.engine.command(this, tag, key, cmd.timeoutMs ?? 5000);
    if (e === null) return -1;
    const body = cmd.line.startsWith("AT") ? cmd.line : `AT${cmd.line}`;
    for (let i = 0; i < body.length; i++) e.raw(new Uint8Array([body.charCodeAt(i)]));
    if (cmd.data) e.data(cmd.data, 0, cmd.data.length);
    if (cmd.accept) this.accept.set(tag, cmd.accept);
    return this.engine.send() ? tag : -1;
  }

  onResponse(tag: number, key: number, bytes: Uint8Array, body: number, end: number): boolean {
    const line = text(bytes, body, end);
    const accept = this.accept.get(tag);
    if (accept && !accept.test(line)) return false;
    const name = key >= 0 ? this.engine.tokenName(key) : "?";
    this.events.push(`response ${tag} ${name} ${line}`);
    return true;
  }

  onFinal(tag: number, result: number, code: number): void {
    this.events.push(`final ${tag} ${resultName(result)}${code >= 0 ? " " + code : ""}`);
  }

  onLine(key: number, bytes: Uint8Array, body: number, end: number): void {
    this.events.push(`urc ${this.engine.tokenName(key)} ${text(bytes, body, end)}`);
  }

  onRecordStart(id: number, qos: number, topicLength: number, payloadLength: number): void {
    this.events.push(`record ${id},${qos},${topicLength},${payloadLength}`);
    this.raw = [];
  }

  onRecordPayload(bytes: Uint8Array, start: number, end: number, offset: number): void {
    // Pieces come in order; a gap or overlap would show as a wrong payload.
    if (offset !== this.raw.length) this.raw.push(-1);
    for (let i = start; i < end; i++) this.raw.push(bytes[i]!);
  }

  onRecordEnd(status: number, bytes: Uint8Array, topicStart: number, topicEnd: number): void {
    const topic = text(bytes, topicStart, topicEnd);
    if (status === RECORD_OK) this.events.push(`message "${topic}" ${Buffer.from(this.raw).toString("hex")}`);
    else if (status === RECORD_NONE) this.events.push("record none");
    else this.events.push(`record ${recordName(status)} "${topic}"`);
  }

  /** Feeds each chunk in turn. */
  feed(chunks: Iterable<Uint8Array>): void {
    for (const c of chunks) this.engine.receive(c);
  }
}
