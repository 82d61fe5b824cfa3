/**
 * The Moddable SDK's older `mqtt` module (modules/network/mqtt) over the cellular modem, so an
 * app written for it (examples/network/mqtt/mqttbasic, the AWS example) switches to cellular by
 * one manifest include, manifest_mqtt.json, which maps `mqtt` to hosts/moddable-mqtt.ts: this
 * class on the device's shared modem.
 *
 *   import Client from "mqtt";
 *   const mqtt = new Client({ host: "broker.example.com", id: "me", timeout: 60_000 });
 *   mqtt.onReady = function () { this.subscribe("a/#"); this.publish("a/b", "hello"); };
 *   mqtt.onMessage = function (topic, data) { trace(`${topic}: ${String.fromArrayBuffer(data)}\n`); };
 *   mqtt.onClose = function () { trace("lost connection\n"); };
 *
 * As in the SDK's client: `host` is required, `port` defaults to 1883, `id` to "", `timeout` is
 * the keepalive in ms; `user`, `password` and `will` ({topic, message, quality, retain}) are
 * passed on; onReady, onMessage(topic, ArrayBuffer) and onClose run from a timer, never inside
 * the modem's input, and what they throw is logged and dropped; `publish` (flags `quality`,
 * `retain`), `subscribe` and `unsubscribe` throw "connection closed" unless connected; after
 * onClose the client is finished; `close()` ends it without onClose.
 *
 * Differences, forced by the modem: topics and credentials are printable ASCII without `"`,
 * a message is at most 1024 bytes, and invalid values throw a ValidationError naming the field.
 * The modem keeps the connection alive itself, so `timeout` 0 (the SDK's "no keepalive") means
 * 60 s and other values are rounded up to whole seconds, 1 to 300. `path` (MQTT over
 * WebSockets), `Socket` and `secure` do not apply and are refused or ignored (see below).
 * Extras: `modem` (a CellularModem or a function returning one; module `mqtt` passes the
 * device's shared modem), `slot` (the modem's client id, 1 or 2), and `reconnect` (default false: a lost
 * connection ends the client with onClose, as in the SDK; true: the modem's session reconnects
 * with backoff, reporting each loss with onClose and each new connection with onReady).
 */
import type { AlarmTimer } from "cellmqtt/at/port";
import { KEEPALIVE_MAX, TOPIC_MIN } from "cellmqtt/modem/limits";
import type { CellularModem } from "cellmqtt/modem/modem";
import { ValidationError, checkTopicFilter, checkTopicName } from "cellmqtt/modem/validate";
import { MqttClient } from "./client.ts";
import { checkQos, payloadBytes, type WillOptions } from "./options.ts";

type Bytes = string | ArrayBuffer;

export interface MqttDictionary {
  host: string;
  port?: number;
  id?: string;
  user?: string | ArrayBuffer;
  password?: string | ArrayBuffer;
  will?: { topic: string; message: Bytes; quality?: number; retain?: boolean };
  /** Keepalive, ms. */
  timeout?: number;
  /** MQTT over WebSockets: not available over the modem. */
  path?: string;
  modem: CellularModem | (() => CellularModem);
  slot?: 1 | 2;
  reconnect?: boolean;
}

export interface PublishFlags {
  quality?: number;
  retain?: boolean;
}

// Events waiting for the client's timer.
const E_READY = 0;
const E_MESSAGE = 1;
const E_CLOSE = 2;

export default class Client {
  onReady?: (this: Client) => void;
  onMessage?: (this: Client, topic: string, data: ArrayBuffer) => void;
  onClose?: (this: Client) => void;

  readonly #modem: CellularModem;
  readonly #client: MqttClient;
  readonly #timer: AlarmTimer;
  readonly #reconnect: boolean;
  /** Events in order: kind, then for messages topic and data. */
  #events: (number | string | ArrayBuffer)[] = [];
  /** A loss is reported once per connection (and once for a first attempt that fails). */
  #closeReported = false;
  #finished = false;

  constructor(dictionary: MqttDictionary) {
    if (dictionary === null || typeof dictionary !== "object" || !dictionary.host) throw new Error("parameter host is required");
    if (dictionary.path) throw new ValidationError("path", "MQTT over WebSockets is not available over the modem");
    const given = dictionary.modem;
    const modem = typeof given === "function" ? given() : given;
    if (modem === null || typeof modem !== "object" || typeof modem.session !== "function") {
      throw new ValidationError("modem", "must be a CellularModem or a function returning one");
    }
    this.#modem = modem;
    this.#reconnect = dictionary.reconnect === true;
    const timeout = dictionary.timeout ?? 0;
    const will = dictionary.will;
    this.#timer = modem.clock.timer(() => this.#deliver());
    const client = new MqttClient(modem, {
      host: dictionary.host,
      port: dictionary.port || 1883,
      ...(dictionary.slot ? { slot: dictionary.slot } : {}),
      clientId: dictionary.id ?? "",
      username: text(dictionary.user),
      password: text(dictionary.password),
      keepalive: timeout > 0 ? Math.min(Math.ceil(timeout / 1000), KEEPALIVE_MAX) : 60,
      reconnect: this.#reconnect,
      ...(will ? { will: willOptions(will) } : {}),
    });
    this.#client = client;
    client.on("connect", () => {
      this.#closeReported = false;
      this.#post(E_READY);
    });
    client.on("offline", () => this.#lost());
    client.on("close", () => this.#lost());
    client.on("error", (e) => modem.log(`mqtt: ${e.message}`));
    client.on("message", (topic, payload) => {
      const data = new ArrayBuffer(payload.length);
      new Uint8Array(data).set(payload);
      this.#post(E_MESSAGE, topic, data);
    });
    if (modem.link.state === 0) modem.start();
  }

  /** True while the modem reports the connection open. */
  get connected(): boolean {
    return !this.#finished && this.#client.connected;
  }

  publish(topic: string, data: Bytes | ArrayBufferView | number | boolean, flags?: PublishFlags): void {
    this.#mustBeConnected();
    const limits = this.#modem.limits;
    checkTopicName("topic", topic, TOPIC_MIN, limits.topicMax);
    const bytes = payloadBytes("data", bytesOf(data), limits.payloadMax);
    const qos = checkQos("quality", flags?.quality ?? 0);
    if (!this.#client.publish(topic, bytes, { qos, retain: flags?.retain === true })) {
      throw new Error(`publish to "${topic}" refused: the outbox is full`);
    }
  }

  subscribe(topic: string): void {
    this.#mustBeConnected();
    this.#client.subscribe(checkTopicFilter("topic", topic, TOPIC_MIN, this.#modem.limits.topicMax));
  }

  unsubscribe(topic: string): void {
    this.#mustBeConnected();
    this.#client.unsubscribe(checkTopicFilter("topic", topic, TOPIC_MIN, this.#modem.limits.topicMax));
  }

  /** Ends the connection (`AT+MQTTCLOSE`); no callback follows. */
  close(): void {
    this.#finish();
    this.#events.length = 0;
    this.#timer.cancel();
  }

  #mustBeConnected(): void {
    if (!this.connected) throw new Error("connection closed");
  }

  #lost(): void {
    if (this.#finished || this.#closeReported) return;
    this.#closeReported = true;
    this.#post(E_CLOSE);
    if (!this.#reconnect) this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#client.end();
  }

  #post(kind: number, topic?: string, data?: ArrayBuffer): void {
    const events = this.#events;
    events.push(kind);
    if (kind === E_MESSAGE) events.push(topic!, data!);
    if (events.length === (kind === E_MESSAGE ? 3 : 1)) this.#timer.schedule(0);
  }

  #deliver(): void {
    const events = this.#events;
    this.#events = [];
    for (let i = 0; i < events.length; i++) {
      const kind = events[i] as number;
      try {
        if (kind === E_READY) this.onReady?.();
        else if (kind === E_CLOSE) this.onClose?.();
        else this.onMessage?.(events[++i] as string, events[++i] as ArrayBuffer);
      } catch (e) {
        this.#modem.log(`mqtt: ${kind === E_READY ? "onReady" : kind === E_CLOSE ? "onClose" : "onMessage"} threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

export { Client };

/** As the SDK's client does: an ArrayBuffer (or a view) is bytes, anything else its string. */
function bytesOf(data: unknown): string | Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return String(data);
}

function text(value: string | ArrayBuffer | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return String.fromCharCode(...new Uint8Array(value));
}

function willOptions(will: NonNullable<MqttDictionary["will"]>): WillOptions {
  return {
    topic: will.topic,
    payload: bytesOf(will.message),
    qos: checkQos("will.quality", will.quality ?? 0),
    retain: will.retain === true,
  };
}
