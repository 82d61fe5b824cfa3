import type { AtEngine, CommandOwner, RawSink } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { RESULT_OK } from "cellmqtt/at/results";
import { text } from "cellmqtt/at/bytes";
import * as cmd from "./commands.ts";
import { PAYLOAD_MAX, TOPIC_MAX } from "./limits.ts";
import { PayloadView } from "./payload-view.ts";
import type { MqttSession } from "./session.ts";

const READ_TIMEOUT_MS = 5000;
const RETRY_MS = 50;

/**
 * Incoming messages, both ways the modem reports them. Mode 0: the whole message in one
 * `+MQTTMSG: <id>,<qos>,"topic","payload"` line. Mode 1: `+MQTTMSGI: <id>,<qos>,<tlen>,<plen>`
 * announces one; `AT+MQTTREAD=<id>` fetches it, and the `+MQTTREAD` record's topic and payload
 * are read by length, so any byte value survives. Reads are queued, one at a time, never issued
 * from inside the announcing line's handler.
 */
export class Inbound implements CommandOwner, RawSink {
  /** Messages announced and not yet read, per client id (index 1 and 2). */
  readonly pending = new Int32Array(3);
  private readonly topic = new Uint8Array(TOPIC_MAX);
  private readonly payload = new PayloadView(PAYLOAD_MAX);
  private readonly keyRead: number;
  /** The integers of a `+MQTTREAD` or `+MQTTMSGI` header. */
  private readonly values = new Int32Array(4);
  private reading = 0; // client id whose read is in flight, 0 when none
  private readQos = 0;
  private readTopicLength = 0;
  private readPayloadLength = 0;
  private readAt = 0; // position within the raw record
  private received = false;

  private readonly retry: AlarmTimer;

  constructor(
    private readonly engine: AtEngine,
    clock: Clock,
    private readonly sessions: readonly MqttSession[],
    private readonly log: (message: string) => void,
  ) {
    this.retry = clock.timer(() => this.pump());
    this.keyRead = engine.token("+MQTTREAD");
    engine.recordPrefix("+MQTTREAD:");
  }

  /** `+MQTTMSG: <id>,<qos>,"topic","payload"` (mode 0; spaces after commas tolerated). */
  onMessageLine(bytes: Uint8Array, body: number, end: number): void {
    const f = this.engine.fields;
    f.parse(bytes, body, end, 4);
    const session = this.session(f.int(0));
    if (session === null || f.count < 4) {
      this.log(`malformed +MQTTMSG: ${text(bytes, body, end)}`);
      return;
    }
    const ts = f.start(2);
    const te = f.end(2);
    const ps = f.start(3);
    const pe = f.end(3);
    const n = pe - ps;
    if (n > PAYLOAD_MAX) {
      this.log(`+MQTTMSG payload of ${n} bytes exceeds ${PAYLOAD_MAX}; dropped`);
      return;
    }
    this.payload.begin(n);
    this.payload.write(0, bytes, ps, pe);
    session.deliver(session.intern(bytes, ts, te) ?? text(bytes, ts, te), this.payload.view(), f.int(1));
  }

  /** `+MQTTMSGI: <id>,<qos>,<tlen>,<plen>`: one more message to read. */
  onAnnounce(bytes: Uint8Array, body: number, end: number): void {
    const id = this.engine.fields.ints(bytes, body, end, this.values) > 0 ? this.values[0]! : -1;
    if (this.session(id) === null) return;
    this.pending[id]++;
    this.pump();
  }

  /** Forgets announced messages (the modem rebooted or the connection dropped). */
  clear(id: number): void {
    this.pending[id] = 0;
  }

  /** Issues the next read if none is in flight. */
  pump(): void {
    if (this.reading !== 0) return;
    const id = this.pending[1]! > 0 ? 1 : this.pending[2]! > 0 ? 2 : 0;
    if (id === 0) return;
    const e = this.engine.command(this, id, this.keyRead, READ_TIMEOUT_MS);
    if (e === null) {
      this.retry.schedule(RETRY_MS); // the command queue is full: try again shortly
      return;
    }
    cmd.mqttRead(e, id);
    // Set before `send`: a port that answers inside `write` completes the read within it.
    this.reading = id;
    this.received = false;
    if (!this.engine.send()) this.reading = 0;
  }

  onResponse(tag: number, _key: number, bytes: Uint8Array, body: number, end: number): boolean {
    // `+MQTTREAD: <id>,<qos>,<tlen>,<plen>` then `"topic","payload"` read by length.
    const v = this.values;
    const n = this.engine.fields.ints(bytes, body, end, v);
    if (n < 1 || v[0] !== tag) return false;
    this.readQos = n > 1 ? v[1]! : -1;
    this.readTopicLength = n > 2 ? v[2]! : -1;
    this.readPayloadLength = n > 3 ? v[3]! : -1;
    this.received = true;
    if (this.readTopicLength <= 0) return true; // `+MQTTREAD: <id>,0,0,0`: nothing there
    if (this.readTopicLength > TOPIC_MAX || this.readPayloadLength < 0 || this.readPayloadLength > PAYLOAD_MAX) {
      this.log(`+MQTTREAD lengths out of range: ${text(bytes, body, end)}`);
      this.readTopicLength = 0;
      return true;
    }
    this.readAt = 0;
    this.payload.begin(this.readPayloadLength);
    this.engine.expectRaw(this.readTopicLength + this.readPayloadLength + 5, this, true);
    return true;
  }

  /** The record `"topic","payload"`: quote, topic, quote-comma-quote, payload, quote. */
  onRaw(bytes: Uint8Array, start: number, end: number, remaining: number): void {
    const tlen = this.readTopicLength;
    const payloadAt = tlen + 4;
    for (let i = start; i < end; i++, this.readAt++) {
      const at = this.readAt;
      if (at >= 1 && at <= tlen) this.topic[at - 1] = bytes[i]!;
      else if (at >= payloadAt && at < payloadAt + this.readPayloadLength) {
        // Copy the payload run in one go rather than byte by byte through this branch.
        let n = end - i;
        const left = payloadAt + this.readPayloadLength - at;
        if (n > left) n = left;
        this.payload.write(at - payloadAt, bytes, i, i + n);
        i += n - 1;
        this.readAt += n - 1;
      }
    }
    if (remaining === 0) {
      const session = this.session(this.reading);
      if (session !== null) {
        session.deliver(session.intern(this.topic, 0, tlen) ?? text(this.topic, 0, tlen), this.payload.view(), this.readQos);
      }
    }
  }

  onFinal(tag: number, result: number): void {
    this.reading = 0;
    if (result !== RESULT_OK) {
      this.log(`AT+MQTTREAD=${tag} failed; ${this.pending[tag]} announced message(s) not read`);
      this.pending[tag] = 0;
    } else if (this.received && this.readTopicLength > 0 && this.pending[tag]! > 0) this.pending[tag]--;
    else this.pending[tag] = 0; // `+MQTTREAD: <id>,0,0,0`: the modem holds no more
    this.pump();
  }

  private session(id: number): MqttSession | null {
    return id === 1 || id === 2 ? this.sessions[id - 1]! : null;
  }
}
