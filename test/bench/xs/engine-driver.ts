/**
 * The AT engine side of the XS parse benchmark: an allocation-free owner and handler that turns
 * what the engine reports into `Events`, the way the modem layer would (fields parsed straight
 * from bytes, `+MQTTREAD` records read by length).
 */
import { AtEngine, type CommandOwner, type LineHandler, type RecordSink } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock, TxPort } from "cellmqtt/at/port";
import { EV_MESSAGE, EV_READ, type Events } from "./events.ts";

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

const LINES = [
  ascii("AT+MQTTREAD=1"),
  ascii('AT+MQTTPUB=1,"devices/4f2a9c/telemetry",1,0,"{\\"t\\":21.5}"'),
  ascii('AT+MQTTSUB=1,"devices/4f2a9c/cmd",1'),
  ascii("AT+CSQ"),
];

/** Time stands still: nothing times out during a run. */
class StillClock implements Clock, AlarmTimer {
  now(): number {
    return 0;
  }
  timer(): AlarmTimer {
    return this;
  }
  schedule(): void {}
  cancel(): void {}
}

class NullPort implements TxPort {
  written = 0;
  write(_b: Uint8Array, _o: number, length: number): void {
    this.written += length;
  }
}

export class EngineDriver implements CommandOwner, LineHandler, RecordSink {
  readonly engine: AtEngine;
  readonly port = new NullPort();
  private readonly keyCsq: number;
  private readonly keyPub: number;
  private readonly keySub: number;
  private readonly keyMsg: number;
  private readonly keyMsgi: number;
  private readonly keyRead: number;
  /** Response token per command kind (CMD_READ, CMD_PUB, CMD_SUB, CMD_CSQ). */
  private readonly responseKeys: Int32Array;
  private next = 0;
  private tag = 0;
  // The `+MQTTREAD` record in progress; sampled positions are topic then payload offsets.
  private id = 0;
  private qos = 0;
  private tlen = 0;
  private plen = 0;
  private payloadHash = 0;
  // The payload's sampled bytes (first, middle, last; -1 until seen), in fields rather than an
  // array: XS reads a typed array's element for several times a field's cost.
  private payloadFirst = -1;
  private payloadMiddle = -1;
  private payloadLast = -1;
  /** As the modem layer keeps them: a plain array. */
  private readonly values = [0, 0, 0, 0];

  constructor(
    readonly events: Events,
    private readonly commands: Uint8Array,
  ) {
    // Every command of the run is queued up front (see `queueAll`), so the queue and the transmit
    // region are sized to hold them all.
    let txBytes = 0;
    for (let i = 0; i < commands.length; i++) txBytes += LINES[commands[i]!]!.length + 1;
    this.engine = new AtEngine({ tx: this.port, clock: new StillClock(), queueDepth: commands.length + 1, txCapacity: txBytes + 4 });
    const e = this.engine;
    this.keyCsq = e.token("+CSQ");
    this.keyPub = e.token("+MQTTPUB");
    this.keySub = e.token("+MQTTSUB");
    this.keyMsg = e.token("+MQTTMSG");
    this.keyMsgi = e.token("+MQTTMSGI");
    this.keyRead = e.token("+MQTTREAD");
    for (const k of [this.keyCsq, this.keyPub, this.keySub, this.keyMsg, this.keyMsgi]) e.listen(k, this);
    e.readRecords("+MQTTREAD:", this, 1 << 20);
    this.responseKeys = Int32Array.from([this.keyRead, -1, -1, this.keyCsq]);
  }

  /**
   * Queues every command of the transcript, in order, before the feed is measured: encoding
   * commands is sending work the string parser does not do, so it stays out of the parse
   * figures. What remains in them is the engine's own per-command routing (a final result
   * completes the command in flight and the next one is written to the port).
   */
  queueAll(): void {
    const e = this.engine;
    const commands = this.commands;
    while (this.next < commands.length && e.queueFree > 0) {
      const kind = commands[this.next++]!;
      const c = e.command(this, ++this.tag, this.responseKeys[kind]!, 60000);
      if (c === null) throw new Error("queue refused a command");
      c.raw(LINES[kind]!);
      if (!e.send()) throw new Error("command did not fit");
    }
  }

  // As the modem layer does: `fields.message` for the quoted +MQTTMSG (`fields.parse` when it
  // is not that plain shape), `fields.ints` for the integer-only bodies.
  onLine(key: number, bytes: Uint8Array, body: number, end: number): void {
    const f = this.engine.fields;
    const ev = this.events;
    if (key === this.keyMsg) {
      if (f.message(bytes, body, end)) {
        ev.message(EV_MESSAGE, f.messageId, f.messageQos);
        ev.bytes(bytes, f.topicStart, f.topicEnd);
        ev.bytes(bytes, f.payloadStart, f.payloadEnd);
        return;
      }
      f.parse(bytes, body, end, 4);
      ev.message(EV_MESSAGE, f.int(0), f.int(1));
      ev.bytes(bytes, f.start(2), f.end(2));
      ev.bytes(bytes, f.start(3), f.end(3));
      return;
    }
    const v = this.values;
    const n = f.ints(bytes, body, end, v);
    // A missing field reports -1, as `fields.int` would.
    const v0 = n > 0 ? v[0]! : -1;
    const v1 = n > 1 ? v[1]! : -1;
    if (key === this.keyMsgi) ev.announce(v0, v1, n > 2 ? v[2]! : -1, n > 3 ? v[3]! : -1);
    else if (key === this.keyPub) ev.ack(1, v0, v1);
    else if (key === this.keySub) ev.ack(2, v0, v1);
    else if (key === this.keyCsq) ev.csq(v0, v1);
  }

  onResponse(_tag: number, key: number, bytes: Uint8Array, body: number, end: number): boolean {
    if (key !== this.keyCsq) return false;
    this.onLine(key, bytes, body, end);
    return true;
  }

  onRecordStart(id: number, qos: number, tlen: number, plen: number): void {
    this.id = id;
    this.qos = qos;
    this.tlen = tlen;
    this.plen = plen;
    this.payloadHash = 0;
    this.payloadFirst = this.payloadMiddle = this.payloadLast = -1;
  }

  // Hashes fold as `Events` does (h * 31 + byte in 32 bits).
  onRecordPayload(bytes: Uint8Array, start: number, end: number, offset: number): void {
    if (this.events.full) {
      let h = this.payloadHash;
      for (let i = start; i < end; i++) h = ((h << 5) - h + bytes[i]!) | 0;
      this.payloadHash = h;
      return;
    }
    // The payload's first, middle and last bytes, if this piece holds them.
    const n = end - start;
    const plen = this.plen;
    if (offset === 0) this.payloadFirst = bytes[start]!;
    const middle = (plen >> 1) - offset;
    if (middle >= 0 && middle < n) this.payloadMiddle = bytes[start + middle]!;
    if (offset + n === plen) this.payloadLast = bytes[end - 1]!;
  }

  onRecordEnd(_status: number, bytes: Uint8Array, topicStart: number, topicEnd: number): void {
    const ev = this.events;
    ev.message(EV_READ, this.id, this.qos);
    if (ev.full) {
      let h = 0;
      for (let i = topicStart; i < topicEnd; i++) h = ((h << 5) - h + bytes[i]!) | 0;
      ev.fold(this.tlen);
      ev.fold(h);
      ev.fold(this.plen);
      ev.fold(this.payloadHash);
    } else {
      ev.bytes(bytes, topicStart, topicEnd);
      ev.samples(this.plen, this.payloadFirst, this.payloadMiddle, this.payloadLast);
    }
  }

  onFinal(tag: number, result: number, code: number): void {
    this.events.final(tag, result, code);
  }
}
