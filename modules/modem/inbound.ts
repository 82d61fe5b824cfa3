import type { AtEngine, CommandOwner, RecordSink } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { RECORD_NONE, RECORD_OK, RECORD_TOO_LONG, RESULT_OK, recordName } from "cellmqtt/at/results";
import { text } from "cellmqtt/at/bytes";
import * as cmd from "./commands.ts";
import { PAYLOAD_MAX } from "./limits.ts";
import { PayloadView } from "./payload-view.ts";
import type { MqttSession } from "./session.ts";

const READ_TIMEOUT_MS = 5000;
const RETRY_MS = 50;

/**
 * Incoming messages, both ways the modem reports them. Mode 0: the whole message in one
 * `+MQTTMSG: <id>,<qos>,"topic","payload"` line. Mode 1: `+MQTTMSGI: <id>,<qos>,<tlen>,<plen>`
 * announces one; `AT+MQTTREAD=<id>` fetches it, and the engine frames the `+MQTTREAD` record by
 * its lengths (whenever it arrives), so any byte value survives. Reads are queued, one at a
 * time, never issued from inside the announcing line's handler.
 */
export class Inbound implements CommandOwner, RecordSink {
  /** Messages announced and not yet read, per client id (index 1 and 2). */
  readonly pending = new Int32Array(3);
  /** Announcements that came while the read in flight (for index 1 or 2) was under way. */
  private readonly announcedDuringRead = new Int32Array(3);
  /** 1 while a client id is read until the modem answers `+MQTTREAD: <id>,0,0,0`. */
  private readonly sweeping = new Uint8Array(3);
  /** Set by `stop`: nothing is read until the modem starts again. */
  stopped = false;
  private readonly payload = new PayloadView(PAYLOAD_MAX);
  private readonly keyRead: number;
  /**
   * The integers of a `+MQTTREAD` or `+MQTTMSGI` header (a plain array: XS reads it at half a
   * typed array's cost).
   */
  private readonly values = [0, 0, 0, 0];
  private reading = 0; // client id whose read is in flight, 0 when none
  private recordId = 0; // client id of the record being read
  private readQos = 0;
  private readTopicLength = 0;
  private readPayloadLength = 0;
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
    engine.readRecords("+MQTTREAD:", this, PAYLOAD_MAX);
  }

  /** `+MQTTMSG: <id>,<qos>,"topic","payload"` (mode 0; spaces after commas tolerated). */
  onMessageLine(bytes: Uint8Array, body: number, end: number): void {
    const f = this.engine.fields;
    let session: MqttSession | null;
    let ts: number, te: number, ps: number, pe: number, qos: number;
    if (f.message(bytes, body, end)) {
      session = this.session(f.messageId);
      ts = f.topicStart;
      te = f.topicEnd;
      ps = f.payloadStart;
      pe = f.payloadEnd;
      qos = f.messageQos;
    } else {
      // Not the plain shape (a payload with bytes after its quote, an odd number): the general split.
      f.parse(bytes, body, end, 4);
      session = f.count < 4 ? null : this.session(f.int(0));
      ts = f.start(2);
      te = f.end(2);
      ps = f.start(3);
      pe = f.end(3);
      qos = f.int(1);
    }
    if (session === null) {
      this.log(`malformed +MQTTMSG: ${text(bytes, body, end)}`);
      return;
    }
    const n = pe - ps;
    if (n > PAYLOAD_MAX) {
      this.log(`+MQTTMSG payload of ${n} bytes exceeds ${PAYLOAD_MAX}; dropped`);
      return;
    }
    this.payload.begin(n);
    this.payload.write(0, bytes, ps, pe);
    session.deliver(session.intern(bytes, ts, te) ?? text(bytes, ts, te), this.payload.view(), qos);
  }

  /** `+MQTTMSGI: <id>,<qos>,<tlen>,<plen>`: one more message to read. */
  onAnnounce(bytes: Uint8Array, body: number, end: number): void {
    const id = this.engine.fields.ints(bytes, body, end, this.values) > 0 ? this.values[0]! : -1;
    if (this.session(id) === null) return;
    this.pending[id]++;
    if (this.reading === id) this.announcedDuringRead[id]++;
    this.pump();
  }

  /** True while a read is in flight or owed. */
  get busy(): boolean {
    return this.reading !== 0 || this.pending[1]! > 0 || this.pending[2]! > 0;
  }

  /** Forgets announced messages (the modem rebooted or the connection dropped). */
  clear(id: number): void {
    this.pending[id] = 0;
    this.sweeping[id] = 0;
  }

  /**
   * Reads client id `id` until the modem has nothing more (`+MQTTREAD: <id>,0,0,0`): messages
   * whose `+MQTTMSGI` was lost on the line, or came while the connection was being restored.
   */
  sweep(id: number): void {
    if (this.session(id) === null) return;
    this.sweeping[id] = 1;
    if (this.pending[id] === 0) this.pending[id] = 1;
    this.pump();
  }

  /** Stops reading: announced messages are forgotten and no read goes out until `stopped` is cleared. */
  stop(): void {
    this.stopped = true;
    this.retry.cancel();
    this.clear(1);
    this.clear(2);
  }

  /** Issues the next read if none is in flight. */
  pump(): void {
    if (this.reading !== 0 || this.stopped) return;
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
    this.announcedDuringRead[id] = 0;
    if (!this.engine.send()) this.reading = 0;
  }

  /** The engine takes `+MQTTREAD` records itself; no other line answers a read. */
  onResponse(): boolean {
    return false;
  }

  onRecordStart(id: number, qos: number, topicLength: number, payloadLength: number): void {
    this.recordId = id;
    this.readQos = qos;
    this.readTopicLength = topicLength;
    this.readPayloadLength = payloadLength;
    if (id === this.reading) this.received = true;
    if (payloadLength <= PAYLOAD_MAX) this.payload.begin(payloadLength);
  }

  onRecordPayload(bytes: Uint8Array, start: number, end: number, offset: number): void {
    this.payload.write(offset, bytes, start, end);
  }

  onRecordEnd(status: number, bytes: Uint8Array, topicStart: number, topicEnd: number): void {
    if (status === RECORD_NONE) return;
    const session = this.session(this.recordId);
    if (status !== RECORD_OK) {
      // The engine has logged it too; this names the sizes and the client id.
      this.log(
        `+MQTTREAD record ${recordName(status)}: client ${this.recordId}, topic ${this.readTopicLength} bytes` +
          `${topicEnd > topicStart ? ` "${text(bytes, topicStart, topicEnd)}"` : ""}, payload ${this.readPayloadLength} bytes; not delivered`,
      );
      if (status === RECORD_TOO_LONG) session?.skipped(text(bytes, topicStart, topicEnd), this.readPayloadLength);
      return;
    }
    if (session === null) return;
    session.deliver(session.intern(bytes, topicStart, topicEnd) ?? text(bytes, topicStart, topicEnd), this.payload.view(), this.readQos);
  }

  onFinal(tag: number, result: number): void {
    this.reading = 0;
    if (result !== RESULT_OK) {
      this.log(`AT+MQTTREAD=${tag} failed; ${this.pending[tag]} announced message(s) not read`);
      this.pending[tag] = 0;
      this.sweeping[tag] = 0;
    } else if (this.received && this.readTopicLength > 0 && this.pending[tag]! > 0) {
      // A sweep goes on until the modem says it holds no more.
      if (--this.pending[tag]! === 0 && this.sweeping[tag] === 1) this.pending[tag] = 1;
    } else {
      // `+MQTTREAD: <id>,0,0,0`: the modem held no more when it answered; an announcement that
      // came meanwhile may be of a message that arrived after that, so it is still read.
      this.pending[tag] = this.announcedDuringRead[tag]!;
      this.sweeping[tag] = 0;
    }
    this.pump();
  }

  private session(id: number): MqttSession | null {
    return id === 1 || id === 2 ? this.sessions[id - 1]! : null;
  }
}
