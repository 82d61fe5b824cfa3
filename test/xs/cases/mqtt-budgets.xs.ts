/**
 * Steady-state allocation budgets of the MQTT paths a device runs all day, measured in XS with
 * the whole stack (engine, modem, session, MQTT.js-style client): publishing a Uint8Array payload
 * (length form and quoted form), and receiving on an exact-topic subscription (mode 0 `+MQTTMSG`,
 * and mode 1 `+MQTTMSGI` followed by `AT+MQTTREAD`). The scripted modem below answers from
 * pre-encoded bytes and allocates nothing itself, so whatever is counted is the stack's.
 */
import type { AtEngine } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock, TxPort } from "cellmqtt/at/port";
import { AtEngine as Engine } from "cellmqtt/at/engine";
import { CellularModem } from "cellmqtt/modem/modem";
import { connect, type MessageInfo, type MqttClient } from "cellmqtt/mqtt/client";
import Ecma419Client from "cellmqtt/mqtt/ecma419-client";
import { assert, assertEqual, budget, run, test } from "../harness.ts";

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/**
 * Time moves only when the set-up says so (bring-up waits on timers); during a budget it stands
 * still, so no command times out and no backoff fires while operations are counted.
 */
class ManualClock implements Clock {
  private time = 1000;
  private readonly timers: { due: number; fire: () => void }[] = [];
  now(): number {
    return this.time;
  }
  timer(fire: () => void): AlarmTimer {
    const t = { due: -1, fire };
    this.timers.push(t);
    return {
      schedule: (ms: number) => void (t.due = this.time + ms),
      cancel: () => void (t.due = -1),
    };
  }
  /** Moves time on by `ms`, firing what falls due. */
  advance(ms: number): void {
    this.time += ms;
    for (const t of this.timers) {
      if (t.due >= 0 && t.due <= this.time) {
        t.due = -1;
        t.fire();
      }
    }
  }
}

/** Bring-up and connect: answers fed and time moved on until the modem has nothing more to say. */
function settle(modem: ScriptedModem, clock: ManualClock): void {
  for (let i = 0; i < 60; i++) {
    modem.drain();
    clock.advance(200);
  }
  modem.drain();
}

const RULES: [string, string][] = [
  ["AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"],
  ["AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"],
  ["AT+COPS?", '\r\n+COPS: 0,0,"CHN-UNICOM",7\r\n\r\nOK\r\n'],
  ["AT+MIPCALL?", "\r\n+MIPCALL: 1,10.2.83.148\r\n\r\nOK\r\n"],
  ["AT+MQTTOPEN?", "\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n"],
  ["AT+MQTTOPEN=", "\r\nOK\r\n\r\n+MQTTOPEN: 1,1\r\n"],
  ["AT+MQTTSUB=", "\r\nOK\r\n\r\n+MQTTSUB: 1,1\r\n"],
  ["AT+MQTTPUB=", "\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n"],
  // Nothing held (the read after every connection); a test sets the record to read.
  ["AT+MQTTREAD=", "\r\n+MQTTREAD: 1,0,0,0\r\n\r\nOK\r\n"],
  ["AT", "\r\nOK\r\n"], // AT, ATE0, AT+MQTTCONF, AT+MQTTUSER: last, as the catch-all
];

/**
 * A modem that answers each command line by its prefix, from pre-encoded bytes. A length-form
 * publish gets `>` first and its answer once the announced number of data bytes has arrived.
 * Answers are queued and fed after `write` returns, as a UART would.
 */
class ScriptedModem implements TxPort {
  engine!: AtEngine;
  readonly prefixes = RULES.map(([p]) => ascii(p));
  readonly answers = RULES.map(([, a]) => ascii(a));
  readonly prompt = ascii(">");
  readonly lines: number[] = [];
  private readonly line = new Uint8Array(1400);
  private lineLength = 0;
  private dataLeft = 0;
  private dataAnswer: Uint8Array | null = null;
  private readonly queue: (Uint8Array | null)[] = [null, null, null, null];
  private queued = 0;
  commands = 0;
  dataBytes = 0;

  write(bytes: Uint8Array, offset: number, length: number): void {
    for (let i = offset; i < offset + length; i++) {
      const c = bytes[i]!;
      if (this.dataLeft > 0) {
        this.dataBytes++;
        if (--this.dataLeft === 0) this.push(this.dataAnswer!);
        continue;
      }
      if (c !== 13) {
        if (this.lineLength < this.line.length) this.line[this.lineLength++] = c;
        continue;
      }
      this.commands++;
      this.answer();
      this.lineLength = 0;
    }
  }

  /** Feeds every queued answer; answers may queue more. */
  drain(): void {
    const stage = this.engine.rxStage;
    for (let k = 0; k < this.queued; k++) {
      const a = this.queue[k]!;
      this.queue[k] = null;
      for (let at = 0; at < a.length; at += stage.length) {
        const n = Math.min(stage.length, a.length - at);
        for (let j = 0; j < n; j++) stage[j] = a[at + j]!;
        this.engine.received(n);
      }
    }
    this.queued = 0;
  }

  feed(bytes: Uint8Array): void {
    this.push(bytes);
    this.drain();
  }

  private push(bytes: Uint8Array): void {
    if (bytes.length > 0) this.queue[this.queued++] = bytes;
  }

  private answer(): void {
    for (let r = 0; r < this.prefixes.length; r++) {
      const p = this.prefixes[r]!;
      let i = 0;
      while (i < p.length && this.line[i] === p[i]) i++;
      if (i < p.length) continue;
      if (r === 7 && this.line[this.lineLength - 1] !== 0x22) {
        // `AT+MQTTPUB=...,<size>`: the length form.
        let size = 0;
        let k = this.lineLength - 1;
        for (let scale = 1; this.line[k]! >= 0x30 && this.line[k]! <= 0x39; k--, scale *= 10) size += (this.line[k]! - 0x30) * scale;
        this.dataLeft = size;
        this.dataAnswer = this.answers[r]!;
        this.push(this.prompt);
      } else this.push(this.answers[r]!);
      return;
    }
  }
}

interface Rig {
  modem: ScriptedModem;
  client: MqttClient;
  received: { count: number; bytes: number; topicHits: number };
}

const COMMAND_TOPIC = "devices/abc/cmd";

function rig(publishData: "raw" | "hex" = "raw"): Rig {
  const scripted = new ScriptedModem();
  const clock = new ManualClock();
  const engine = new Engine({ tx: scripted, clock });
  scripted.engine = engine;
  const modem = new CellularModem(engine, clock, { publishData });
  const client = connect(modem, { host: "broker.example.com", clientId: "budget", keepalive: 60 });
  const received = { count: 0, bytes: 0, topicHits: 0 };
  client.on("message", (topic: string, payload: Uint8Array, info: MessageInfo) => {
    received.count++;
    received.bytes += payload.length + info.qos;
    if (topic === COMMAND_TOPIC) received.topicHits++;
  });
  // Bring-up and connect: every answer fed until the modem has nothing more to say.
  settle(scripted, clock);
  client.subscribe(COMMAND_TOPIC, { qos: 1 });
  settle(scripted, clock);
  return { modem: scripted, client, received };
}

test("the scripted stack connects and subscribes", () => {
  const r = rig();
  assert(r.client.connected, "client connected");
  assertEqual(r.client.session.subscriptions[0], COMMAND_TOPIC, "subscription");
});

const binary = new Uint8Array(200);
for (let i = 0; i < binary.length; i++) binary[i] = (i * 7) & 0xff;
const printable = ascii("temperature=21.5;pressure=1013;humidity=40".padEnd(100, "."));
const qos1 = { qos: 1 as const };
// The test's own strings are made once: a literal evaluated inside an operation would be counted.
const DATA_TOPIC = "devices/abc/data";
const qos0 = { qos: 0 as const };

budget("publish a 200-byte binary payload, QoS 1 (length form, prompt, +MQTTPUB ack)", () => {
  const r = rig();
  return () => {
    r.client.publish(DATA_TOPIC, binary, qos1);
    r.modem.drain();
  };
});

budget("publish a 200-byte binary payload, QoS 1, data as hex text (length form of 400 characters)", () => {
  const r = rig("hex");
  return () => {
    r.client.publish(DATA_TOPIC, binary, qos1);
    r.modem.drain();
  };
});

budget("publish a 100-byte printable payload, QoS 0 (quoted form)", () => {
  const r = rig();
  return () => {
    r.client.publish(DATA_TOPIC, printable, qos0);
    r.modem.drain();
  };
});

budget("receive on an exact-topic subscription, mode 0 (+MQTTMSG)", () => {
  const r = rig();
  const line = ascii(`\r\n+MQTTMSG: 1,1,"${COMMAND_TOPIC}","set interval=5000; mode=eco; led=on"\r\n`);
  return () => r.modem.feed(line);
});

budget("receive on an exact-topic subscription, mode 0, payload sizes alternating 3 and 300 bytes", () => {
  const r = rig();
  const short = ascii(`\r\n+MQTTMSG: 1,0,"${COMMAND_TOPIC}","abc"\r\n`);
  const long = ascii(`\r\n+MQTTMSG: 1,0,"${COMMAND_TOPIC}","${"x".repeat(300)}"\r\n`);
  return (i) => r.modem.feed((i & 1) === 0 ? short : long);
});

budget("receive on an exact-topic subscription, mode 1 (+MQTTMSGI, AT+MQTTREAD, 1024-byte payload)", () => {
  const r = rig();
  const payload = new Uint8Array(1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  const head = ascii(`\r\n+MQTTREAD: 1,1,${COMMAND_TOPIC.length},${payload.length},"${COMMAND_TOPIC}","`);
  const tail = ascii('"\r\n\r\nOK\r\n');
  const record = new Uint8Array(head.length + payload.length + tail.length);
  record.set(head, 0);
  record.set(payload, head.length);
  record.set(tail, head.length + payload.length);
  r.modem.answers[8] = record;
  const announce = ascii(`\r\n+MQTTMSGI: 1,1,${COMMAND_TOPIC.length},${payload.length}\r\n`);
  return () => {
    r.modem.feed(announce);
    r.modem.drain();
  };
});

budget("ECMA-419 client: onReadable on an exact-topic subscription, read(buffer) into the app's own bytes", () => {
  const scripted = new ScriptedModem();
  const clock = new ManualClock();
  const engine = new Engine({ tx: scripted, clock });
  scripted.engine = engine;
  const modem = new CellularModem(engine, clock);
  const into = new Uint8Array(64);
  const seen = { count: 0, bytes: 0 };
  const client = new Ecma419Client({
    modem,
    host: "broker.example.com",
    id: "budget-419",
    onReadable(this: Ecma419Client, _count: number, options: { topic: string }) {
      seen.count++;
      seen.bytes += this.read(into) + (options.topic === COMMAND_TOPIC ? 0 : 1000);
    },
  });
  settle(scripted, clock);
  client.write(null, { operation: Ecma419Client.SUBSCRIBE, items: [{ topic: COMMAND_TOPIC, QoS: 1 }] });
  settle(scripted, clock);
  const line = ascii(`\r\n+MQTTMSG: 1,1,"${COMMAND_TOPIC}","set interval=5000; mode=eco; led=on"\r\n`);
  scripted.feed(line);
  // The path measured is the one that delivers: one message, all 35 bytes read, the exact topic.
  assertEqual(seen.count, 1, "messages read by onReadable");
  assertEqual(seen.bytes, 35, "bytes read (1000 more if the topic were not the subscription's)");
  return () => scripted.feed(line);
});

test("the budget paths really ran: acks, messages and topics counted", () => {
  const r = rig();
  const before = r.modem.commands;
  r.client.publish(DATA_TOPIC, binary, qos1);
  r.modem.drain();
  assertEqual(r.modem.commands - before, 1, "one AT+MQTTPUB");
  assertEqual(r.modem.dataBytes, binary.length, "data bytes after the prompt");
  assertEqual(r.client.session.outbox.live, 0, "outbox empty after +MQTTPUB: 1,1");
  r.modem.feed(ascii(`\r\n+MQTTMSG: 1,1,"${COMMAND_TOPIC}","abc"\r\n`));
  assertEqual(r.received.count, 1, "messages delivered");
  assertEqual(r.received.topicHits, 1, "topic is the subscription's string");
  assertEqual(r.received.bytes, 4, "payload length plus QoS");
  const hex = rig("hex");
  hex.client.publish(DATA_TOPIC, binary, qos1);
  hex.modem.drain();
  assertEqual(hex.modem.dataBytes, binary.length * 2, "hex data: two characters a byte");
  assertEqual(hex.client.session.outbox.live, 0, "hex: outbox empty after +MQTTPUB: 1,1");
});

run();
