/**
 * The MQTT client of ECMA-419 2nd edition (`embedded:network/mqtt/client`), in the manner of the
 * Moddable SDK's Wi-Fi implementation (examples/io/tcp/mqttclient/mqttclient.js), over one of the
 * cellular modem's two MQTT client slots. An app written for that client switches to cellular by
 * changing its import and passing a started-or-not `CellularModem` as `modem`:
 *
 *   import Client from "embedded:network/mqtt/client";    // mapped to this module by the manifest
 *   const mqtt = new Client({ modem, host, port, id, keepalive: 60_000,
 *     onControl(msg) { if (Client.CONNACK === msg.operation) this.write(null, {operation: Client.SUBSCRIBE, items: [{topic: "a/#"}]}); },
 *     onReadable(count, options) { trace(String.fromArrayBuffer(this.read(count))); },
 *   });
 *
 * The modem speaks MQTT itself and shows no packets, so each callback stands for the modem's
 * report of the same event:
 * - CONNACK (onControl, then onWritable): `+MQTTOPEN: <id>,1`, on the first connection and on
 *   every reconnection.
 * - SUBACK: when every topic of one SUBSCRIBE write has its `+MQTTSUB` status; `payload` holds
 *   one byte per item, the QoS asked for or 0x80 if the modem or broker refused it.
 * - UNSUBACK: when every topic of one UNSUBSCRIBE write has its `+MQTTUNSUB` status; `payload`
 *   is absent, or, if any failed, one byte per item, 0 or 0x80 (as MQTT 5 reports it).
 * - PUBACK (QoS 1), PUBREC then PUBCOMP (QoS 2): the message's `+MQTTPUB: <id>,1`; `id` is the
 *   write's `id` option or the one the client numbered it with. A message the modem gave up
 *   (after `publishAttempts`) reports PUBACK or PUBREC with `returnCode` 0x80.
 * - PINGRESP: answers a PINGREQ write at once while connected (see below).
 * - onReadable(count, {more: false, topic, QoS, byteLength}): one whole received message.
 * - onWritable(count): after CONNACK, and when a message leaves the outbox (acknowledged or,
 *   for QoS 0, sent), with the payload bytes the next `write` may carry.
 * - onError(error): the client is finished and closed (as the Wi-Fi client closes after it);
 *   `error` is an MqttError with a `code`. onClose(): the connection ended after a DISCONNECT
 *   write, the client is finished. Exactly one of them ends a client; `close()` calls neither.
 *
 * Differences from the Wi-Fi client (all forced by the modem, or chosen for a cellular link):
 * - Reconnection is automatic (option `reconnect`, default true): a lost connection, a failed
 *   attempt or a lost network are retried with backoff, subscriptions are renewed, and each new
 *   connection is announced by another CONNACK. Only with `reconnect: false` does a lost
 *   connection end the client with onError (code CONNECTION_LOST). A broker refusal that
 *   retrying cannot fix (ERROR: 700, 701, 703, 704: bad protocol, identifier rejected, bad user
 *   name or password, not authorized) always ends it with onError.
 * - Messages are queued in the modem session's outbox: `write` works before CONNACK and while
 *   reconnecting, and QoS 1/2 messages survive an outage. `close()` discards them.
 * - onReadable delivers whole messages of at most 1024 bytes (the modem's limit), so `more` is
 *   always false. The bytes are readable only during the callback: what it does not read is
 *   dropped when it returns. Empty messages are delivered too (count 0; the Wi-Fi client skips them).
 * - The `options` object of onReadable and the message object of onControl are reused: copy
 *   what you keep. `topic` is the subscription's own string for an exact-topic subscription,
 *   so receiving allocates nothing but what `read(count)` returns; `read(buffer)` allocates
 *   nothing (pass a Uint8Array, or the same ArrayBuffer each time).
 * - A published message, including one assembled from fragments (`byteLength` larger than the
 *   first write, the rest in writes without options), is at most 1024 bytes, and the modem sends
 *   it when it is whole. The `count` of onWritable and the value `write` returns are payload bytes
 *   the outbox can take (topic and packet overhead not included), or the bytes still due of a
 *   message being assembled.
 * - `keepalive` is in milliseconds as in the Wi-Fi client, rounded to seconds; the modem needs
 *   1 to 300 s and always keeps the connection alive itself, so 0 or absent means 60 s. A
 *   PINGREQ write is answered with PINGRESP locally: it says the modem's connection is up, not
 *   that the broker answered a ping. PUBACK, PUBREC, PUBREL and PUBCOMP writes are accepted and
 *   ignored: the modem acknowledges received messages itself.
 * - `port` defaults to 1883 (the Wi-Fi client's default is 80). `id` is at most 23 characters;
 *   `id`, `user`, `password` and topics are printable ASCII without `"` (the AT command line
 *   cannot carry anything else); topics are 1 to 255 characters. Invalid values throw a
 *   ValidationError naming the field, before anything is sent.
 * - There is no `dns` or `socket` option (they are ignored if present, so `...device.network.mqtt`
 *   can be spread in); `modem` (a CellularModem) and `slot` (1 or 2) say which connection to use.
 * - The modem session remembers subscriptions. With `clean` (the default), `close()` and the end of
 *   a client forget them; with `clean: false` a later client on the same slot keeps them.
 *
 * - A callback that throws does not reach the modem event or timer that called it: the throw is
 *   reported through onLog (or trace) and the client, its session and the AT engine carry on
 *   (the rest of a read is still parsed, the next write works).
 *
 * Extras: `reconnect`, `reconnectPeriod`, `reconnectMaxPeriod`, `stableAfter`, `connectTimeout`,
 * `commandTimeout`, `queueQoS0`, `publishAttempts`, `statusTimeout` and `tls` as in the MQTT.js-style client's
 * options; `onLog(line)` for the session's log; the `connected` getter.
 */
import { MqttError } from "cellmqtt/modem/errors";
import { PAYLOAD_MAX, TOPIC_MIN } from "cellmqtt/modem/limits";
import type { ModemLimits } from "cellmqtt/modem/limits-probe";
import type { CellularModem } from "cellmqtt/modem/modem";
import { S_CLOSING, S_IDLE, type MqttSession, type SessionConfig, type SessionListener } from "cellmqtt/modem/session";
import { ValidationError, checkFlag, checkInteger, checkSlot, checkTopicFilter, checkTopicName } from "cellmqtt/modem/validate";
import type { AlarmTimer } from "cellmqtt/at/port";
import { checkQos, payloadBytes, sessionConfig, type ConnectOptions } from "./options.ts";
import { threwText, traceLine } from "./app-code.ts";

export { MqttError } from "cellmqtt/modem/errors";
export { ValidationError } from "cellmqtt/modem/validate";

/** Bytes: an ArrayBuffer or a view of one. */
export type BufferLike = ArrayBuffer | ArrayBufferView;

/** The second argument of onReadable. One object, reused for every message. */
export interface ReadableOptions {
  more: boolean;
  topic: string;
  QoS: number;
  byteLength: number;
}

/** The argument of onControl. One object, reused: copy what you keep. */
export interface ControlMessage {
  operation: number;
  /** The packet id of the write answered (SUBACK, UNSUBACK, PUBACK, PUBREC, PUBCOMP); 0 otherwise. */
  id: number;
  /** 0, or 0x80 for a message the modem gave up; CONNACK's is always 0 (refusals end the client). */
  returnCode: number;
  /** SUBACK: one byte per item; UNSUBACK: present only if an item failed. */
  payload?: number[];
}

export interface WillOptions {
  topic: string;
  /** The will message (the Wi-Fi client's name); `data` is taken as well. */
  message?: string | BufferLike;
  data?: string | BufferLike;
  QoS?: number;
  retain?: boolean | number;
}

export interface SubscribeItem {
  topic: string;
  QoS?: number;
}

export interface WriteOptions {
  /** Client.PUBLISH (the default), SUBSCRIBE, UNSUBSCRIBE, DISCONNECT, PINGREQ. */
  operation?: number;
  /** Packet id reported back in the acknowledgement's control message; numbered if absent. */
  id?: number;
  topic?: string;
  QoS?: number;
  retain?: boolean | number;
  duplicate?: boolean;
  /** Total payload length when the first write carries only its start (at most 1024). */
  byteLength?: number;
  items?: SubscribeItem[];
}

type ClientCallback<A extends unknown[]> = (this: ECMA419Client, ...args: A) => void;

/** Options the two faces share, with the same meaning (see ConnectOptions). */
type SessionExtras = Pick<
  ConnectOptions,
  "reconnect" | "reconnectPeriod" | "reconnectMaxPeriod" | "stableAfter" | "connectTimeout" | "commandTimeout" | "queueQoS0" | "publishAttempts" | "statusTimeout" | "tls"
>;

export interface ClientOptions extends SessionExtras {
  /**
   * The modem to use: a CellularModem, started here if it is not yet, or a function that returns
   * it. Settings that are deep-frozen or preloaded (the SDK's `device.network.mqtt`) hold the
   * function: a modem owns a UART and timers, which can be neither frozen nor opened at preload.
   */
  modem: CellularModem | (() => CellularModem);
  /** The modem's MQTT client slot, 1 (the default) or 2. */
  slot?: number;
  host: string;
  /** The Wi-Fi client's alias of `host`. */
  address?: string;
  port?: number;
  /** MQTT client identifier, at most 23 characters; "" (the default) lets the modem choose. */
  id?: string;
  user?: string;
  password?: string | BufferLike;
  /** Milliseconds, rounded to seconds: 1 to 300 s; 0 or absent means 60 s. */
  keepalive?: number;
  /** The spelling of some typings; `keepalive` wins if both are given. */
  keepAlive?: number;
  clean?: boolean;
  will?: WillOptions;
  onReadable?: ClientCallback<[count: number, options: ReadableOptions]>;
  onWritable?: ClientCallback<[count: number]>;
  onControl?: ClientCallback<[message: ControlMessage]>;
  onClose?: ClientCallback<[]>;
  onError?: ClientCallback<[error: MqttError]>;
  onLog?: ClientCallback<[line: string]>;
}

/** One SUBSCRIBE or UNSUBSCRIBE write awaiting the modem's status for each of its topics. */
interface Pending {
  id: number;
  topics: string[];
  codes: number[];
  left: number;
}

// Deferred work, done from the client's own timer rather than inside a modem event or a write.
const W_WRITABLE = 1;
const W_PINGRESP = 2;
const W_END = 4;
const W_FINISHED = 8;
const W_ACKS = 16;

const FAILURE = 0x80;
// `typeof x === "number"` evaluates a string literal, which allocates in XS; these are read instead.
const FUNCTION = "function";
const NUMBER = "number";
const STRING = "string";
// Field names for validation, read from constants for the same reason.
const F_TOPIC = "topic";
const F_QOS = "QoS";
const F_RETAIN = "retain";
const F_DATA = "data";
const F_BYTE_LENGTH = "byteLength";
const F_ID = "id";
const F_COUNT = "count";
const F_BUFFER = "buffer";
const ON_READABLE = "onReadable";
const ON_CONTROL = "onControl";
const ON_WRITABLE = "onWritable";

export default class ECMA419Client {
  static readonly CONNECT = 1;
  static readonly CONNACK = 2;
  static readonly PUBLISH = 3;
  static readonly PUBACK = 4;
  static readonly PUBREC = 5;
  static readonly PUBREL = 6;
  static readonly PUBCOMP = 7;
  static readonly SUBSCRIBE = 8;
  static readonly SUBACK = 9;
  static readonly UNSUBSCRIBE = 10;
  static readonly UNSUBACK = 11;
  static readonly PINGREQ = 12;
  static readonly PINGRESP = 13;
  static readonly DISCONNECT = 14;

  readonly #session: MqttSession;
  readonly #config: SessionConfig;
  readonly #timer: AlarmTimer;
  readonly #onReadable: ClientCallback<[number, ReadableOptions]> | undefined;
  readonly #onWritable: ClientCallback<[number]> | undefined;
  readonly #onControl: ClientCallback<[ControlMessage]> | undefined;
  readonly #onClose: ClientCallback<[]> | undefined;
  readonly #onError: ClientCallback<[MqttError]> | undefined;
  readonly #onLog: ClientCallback<[string]> | undefined;

  readonly #readable: ReadableOptions = { more: false, topic: "", QoS: 0, byteLength: 0 };
  readonly #control: ControlMessage = { operation: 0, id: 0, returnCode: 0, payload: undefined };
  /** The message being read (during onReadable only), and how much of it was read. */
  #rx: Uint8Array | null = null;
  #rxAt = 0;
  /** The last ArrayBuffer read into or written from, and a view of it, so reusing it allocates nothing. */
  #lastBuffer: ArrayBuffer | null = null;
  #lastView: Uint8Array | null = null;

  /** Packet id and QoS of each outbox slot's message (id 0: not ours, or QoS 0). */
  readonly #slotId: Uint16Array;
  readonly #slotQos: Uint8Array;
  #nextId = 1;
  readonly #subscribing: Pending[] = [];
  readonly #unsubscribing: Pending[] = [];

  // A message being assembled from fragments.
  #stage: Uint8Array | null = null;
  #stageAt = 0;
  #stageLeft = 0;
  #stageTopic = "";
  #stageQos = 0;
  #stageRetain = 0;
  #stageId = 0;

  #due = 0;
  #closed = false;
  #disconnecting = false;
  /** The session was still closing for a previous owner: start when it is idle. */
  #startWhenIdle = false;
  /** What ends the client if the session goes idle by itself (a connection failure, with no retry). */
  #pendingError: MqttError | null = null;
  #finalError: MqttError | null = null;
  readonly #limits: ModemLimits;

  constructor(options: ClientOptions) {
    if (options === null || typeof options !== "object") throw new ValidationError("options", "must be an object");
    const given = options.modem;
    const modem = typeof given === FUNCTION ? (given as () => CellularModem)() : (given as CellularModem);
    if (modem === null || typeof modem !== "object" || typeof (modem as { session?: unknown }).session !== FUNCTION) {
      throw new ValidationError("modem", "must be a CellularModem or a function returning one (the cellular client's own option)");
    }
    this.#onReadable = callback(options, "onReadable");
    this.#onWritable = callback(options, "onWritable");
    this.#onControl = callback(options, "onControl");
    this.#onClose = callback(options, "onClose");
    this.#onError = callback(options, "onError");
    this.#onLog = callback(options, "onLog");
    // The modem's limits: the manual's, or what its test forms said (`modem.probeLimits`).
    this.#limits = modem.limits;
    this.#config = sessionConfig(connectOptions(options), modem.limits);
    const session = modem.session(checkSlot(options.slot ?? 1, modem.limits));
    if (session.state !== S_IDLE && session.state !== S_CLOSING) {
      throw new ValidationError("slot", `client slot ${session.id} is in use by another client (state ${session.stateName})`);
    }
    this.#session = session;
    this.#slotId = new Uint16Array(session.outbox.capacity);
    this.#slotQos = new Uint8Array(session.outbox.capacity);
    this.#timer = modem.clock.timer(() => this.#fire());
    session.listener = this.#listener();
    if (session.state === S_CLOSING) this.#startWhenIdle = true;
    else session.start(this.#config);
    if (modem.link.state === 0) modem.start();
  }

  /** True while the modem reports the connection open. */
  get connected(): boolean {
    return !this.#closed && this.#session.connected;
  }

  /**
   * Reads from the message being delivered (call it from onReadable). With a count (or none: all
   * that is left), returns a new ArrayBuffer of at most that many bytes, or undefined if nothing
   * is left; with a buffer, fills it from its start and returns how many bytes it took.
   */
  read(count?: number): ArrayBuffer | undefined;
  read(buffer: BufferLike): number;
  read(what?: number | BufferLike): ArrayBuffer | number | undefined {
    const rx = this.#rx;
    const left = rx === null ? 0 : rx.length - this.#rxAt;
    if (what === undefined || typeof what === NUMBER) {
      const want = what === undefined ? left : checkInteger(F_COUNT, what, 0, 0x7fffffff);
      const n = want < left ? want : left;
      if (n === 0) return want === 0 && rx !== null ? new ArrayBuffer(0) : undefined;
      const at = rx!.byteOffset + this.#rxAt;
      this.#rxAt += n;
      // The received bytes live in an ArrayBuffer this client made (never a host buffer).
      return (rx!.buffer as ArrayBuffer).slice(at, at + n);
    }
    const dst = this.#view(F_BUFFER, what as BufferLike);
    const n = dst.length < left ? dst.length : left;
    if (n === 0) return 0;
    const from = this.#rxAt;
    if (from === 0 && n === rx!.length) dst.set(rx!);
    else for (let i = 0; i < n; i++) dst[i] = rx![from + i]!;
    this.#rxAt = from + n;
    return n;
  }

  /**
   * Publishes `data` (options `topic`, `QoS`, `retain`, `id`, `byteLength`), or with `operation`
   * subscribes, unsubscribes (`items`), disconnects or pings. Returns the payload bytes the next
   * write may carry. Throws a ValidationError for a bad argument, an Error if it does not fit.
   */
  write(data: BufferLike | string | null, options?: WriteOptions): number {
    if (this.#closed) throw new Error("write: the client is closed");
    if (this.#disconnecting) throw new Error("write: the client is disconnecting");
    if (this.#stageLeft > 0) return this.#continue(data, options);
    if (options === undefined || options === null) throw new ValidationError("options", "required: {topic, QoS, retain} to publish, or {operation, items}");
    const operation = options.operation ?? ECMA419Client.PUBLISH;
    // As in the Wi-Fi client, every write with options takes the next packet id unless it names one.
    const id = this.#packetId(options);
    switch (operation) {
      case ECMA419Client.PUBLISH:
        return this.#publish(data, options, id);
      case ECMA419Client.SUBSCRIBE:
        return this.#subscribe(options, true, id);
      case ECMA419Client.UNSUBSCRIBE:
        return this.#subscribe(options, false, id);
      case ECMA419Client.DISCONNECT:
        this.#disconnecting = true;
        if (this.#startWhenIdle) {
          this.#startWhenIdle = false;
          this.#finish(null);
        } else this.#session.end();
        return 0;
      case ECMA419Client.PINGREQ:
        if (this.#session.connected) this.#defer(W_PINGRESP);
        return this.#budget();
      case ECMA419Client.PUBACK:
      case ECMA419Client.PUBREC:
      case ECMA419Client.PUBREL:
      case ECMA419Client.PUBCOMP:
        return this.#budget(); // the modem acknowledges received messages itself
      default:
        throw new ValidationError("operation", `must be PUBLISH, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT, PINGREQ or an acknowledgement (3 to 8, 10, 12, 14), got ${String(operation)}`);
    }
  }

  /** Closes the connection (`AT+MQTTCLOSE`) and discards unsent messages; no callback follows. */
  close(): void {
    if (this.#closed) {
      this.#due = 0;
      this.#timer.cancel();
      return;
    }
    this.#shutdown();
    this.#due = 0;
    this.#timer.cancel();
  }

  // ---- writing ----

  #publish(data: BufferLike | string | null, options: WriteOptions, id: number): number {
    const limits = this.#limits;
    const topic = checkTopicName(F_TOPIC, options.topic, TOPIC_MIN, limits.topicMax);
    const qos = checkQos(F_QOS, options.QoS ?? 0);
    const retain = checkFlag(F_RETAIN, options.retain ?? false);
    const bytes = data === null ? EMPTY : this.#bytes(F_DATA, data);
    const max = limits.payloadMax;
    const total = options.byteLength === undefined ? bytes.length : checkInteger(F_BYTE_LENGTH, options.byteLength, bytes.length, max);
    if (total > max) throw new ValidationError("data", `length must be 0 to ${max} bytes (the modem's limit), got ${total}`);
    const budget = this.#budget();
    if (total > budget) throw new Error(`write: overflow: a ${total}-byte message does not fit the outbox (${budget} bytes writable); wait for onWritable`);
    if (total === bytes.length) {
      this.#enqueue(topic, bytes, qos, retain, id);
      return this.#budget();
    }
    this.#stage ??= new Uint8Array(PAYLOAD_MAX);
    this.#stage.set(bytes, 0);
    this.#stageAt = bytes.length;
    this.#stageLeft = total - bytes.length;
    this.#stageTopic = topic;
    this.#stageQos = qos;
    this.#stageRetain = retain;
    this.#stageId = id;
    return this.#stageLeft;
  }

  /** The next fragment of a message whose `byteLength` the first write announced. */
  #continue(data: BufferLike | string | null, options: WriteOptions | undefined): number {
    if (options !== undefined && options !== null) {
      throw new Error(`write: ${this.#stageLeft} bytes of the message to "${this.#stageTopic}" are still due: write them, with no options, first`);
    }
    const bytes = data === null ? EMPTY : this.#bytes(F_DATA, data);
    if (bytes.length > this.#stageLeft) throw new Error(`write: ${bytes.length} bytes given, only ${this.#stageLeft} due for the message to "${this.#stageTopic}"`);
    const stage = this.#stage!;
    stage.set(bytes, this.#stageAt);
    this.#stageAt += bytes.length;
    this.#stageLeft -= bytes.length;
    if (this.#stageLeft > 0) {
      this.#defer(W_WRITABLE);
      return this.#stageLeft;
    }
    this.#enqueue(this.#stageTopic, stage.subarray(0, this.#stageAt), this.#stageQos, this.#stageRetain, this.#stageId);
    return this.#budget();
  }

  #enqueue(topic: string, bytes: Uint8Array, qos: number, retain: number, id: number): void {
    const slot = this.#session.publish(topic, bytes, qos, retain);
    if (slot < 0) throw new Error(`write: overflow: the outbox refused the message to "${topic}"`);
    this.#slotId[slot] = qos > 0 ? id : 0;
    this.#slotQos[slot] = qos;
  }

  #subscribe(options: WriteOptions, subscribe: boolean, id: number): number {
    const name = subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE";
    const items = options.items;
    if (!Array.isArray(items) || items.length === 0) throw new ValidationError("items", `${name} needs a non-empty array of {topic${subscribe ? ", QoS" : ""}}`);
    const topics: string[] = [];
    const codes: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === null || typeof item !== "object") throw new ValidationError(`items[${i}]`, "must be an object {topic, QoS}");
      topics.push(checkTopicFilter(`items[${i}].topic`, item.topic, TOPIC_MIN, this.#limits.topicMax));
      codes.push(subscribe ? checkQos(`items[${i}].QoS`, item.QoS ?? 0) : 0);
    }
    const pending: Pending = { id, topics, codes, left: topics.length };
    const session = this.#session;
    if (subscribe) {
      this.#subscribing.push(pending);
      for (let i = 0; i < topics.length; i++) session.subscribe(topics[i]!, codes[i]!);
    } else {
      this.#unsubscribing.push(pending);
      for (let i = 0; i < topics.length; i++) {
        // A subscription withdrawn before the modem sent it is never confirmed: count it granted.
        this.#answer(this.#subscribing, topics[i]!, true);
        session.unsubscribe(topics[i]!);
      }
      this.#defer(W_ACKS);
    }
    return this.#budget();
  }

  #packetId(options: WriteOptions): number {
    if (options.id !== undefined) return checkInteger(F_ID, options.id, 1, 65535);
    this.#nextId = this.#nextId >= 65535 ? 1 : this.#nextId + 1;
    return this.#nextId;
  }

  /** Payload bytes the next write may carry: room in the outbox, or what a fragmented message still needs. */
  #budget(): number {
    if (this.#closed || this.#disconnecting) return 0;
    if (this.#stageLeft > 0) return this.#stageLeft;
    const box = this.#session.outbox;
    const size = box.size;
    if (size >= box.capacity) return 0;
    let used = 0;
    for (let k = 0; k < size; k++) used += box.length(box.slot(k));
    const free = box.pool.length - used;
    const max = this.#limits.payloadMax;
    return free < max ? free : max;
  }

  #bytes(field: string, data: BufferLike | string): Uint8Array {
    if (data instanceof Uint8Array) return data;
    if (typeof data === STRING) return payloadBytes(field, data as string);
    return this.#view(field, data as BufferLike);
  }

  /** A Uint8Array over `data`'s bytes; the same one again for the same ArrayBuffer. */
  #view(field: string, data: BufferLike): Uint8Array {
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) {
      if (data !== this.#lastBuffer || this.#lastView!.length !== data.byteLength) {
        this.#lastBuffer = data;
        this.#lastView = new Uint8Array(data);
      }
      return this.#lastView!;
    }
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new ValidationError(field, "must be an ArrayBuffer or a view of one");
  }

  // ---- from the session ----

  #listener(): SessionListener {
    const session = this.#session;
    return {
      onConnect: (s) => {
        if (s !== session || this.#closed) return;
        this.#pendingError = null;
        this.#emitControl(ECMA419Client.CONNACK, 0, 0, undefined);
        if (this.#closed) return;
        this.#writable();
      },
      onReconnect: (s) => {
        if (s === session && !this.#closed) this.#logLine("reconnecting");
      },
      onOffline: (s, reason) => {
        if (s !== session || this.#closed) return;
        if (this.#config.reconnect) return;
        this.#finish(new MqttError("CONNECTION_LOST", `client ${s.id}: connection lost: ${reason}`, s.id));
      },
      onClose: (s) => {
        if (s !== session) return;
        if (this.#startWhenIdle) {
          this.#startWhenIdle = false;
          if (!this.#closed) s.start(this.#config);
          return;
        }
        if (!this.#closed) this.#finish(this.#disconnecting ? null : this.#pendingError);
      },
      onError: (s, error) => {
        if (s !== session || this.#closed) return;
        this.#logLine(`error: ${error.message}`);
        switch (error.code) {
          case "PUBLISH_FAILED":
          case "SUBSCRIBE_FAILED":
          case "UNSUBSCRIBE_FAILED":
          case "CONNECTION_LOST":
            return; // reported in the acknowledgement's control message
          case "MESSAGE_TOO_LARGE":
            return; // logged; the connection is fine
        }
        this.#pendingError = error;
        if (error.permanent) this.#defer(W_END);
      },
      onMessage: (s, topic, payload, qos) => {
        const onReadable = this.#onReadable;
        if (s !== session || this.#closed || onReadable === undefined) return;
        const options = this.#readable;
        options.topic = topic;
        options.QoS = qos;
        options.byteLength = payload.length;
        this.#rx = payload;
        this.#rxAt = 0;
        try {
          onReadable.call(this, payload.length, options);
        } catch (e) {
          this.#threw(ON_READABLE, e);
        }
        this.#rx = null;
      },
      onSubscribed: (s, topic, ok) => {
        if (s !== session || this.#closed) return;
        this.#answer(this.#subscribing, topic, ok);
        this.#acknowledge();
      },
      onUnsubscribed: (s, topic, ok) => {
        if (s !== session || this.#closed) return;
        this.#answer(this.#unsubscribing, topic, ok);
        this.#acknowledge();
      },
      onPublished: (s, _topic, ok, slot) => {
        if (s !== session || this.#closed) return;
        const id = this.#slotId[slot]!;
        const qos = this.#slotQos[slot]!;
        this.#slotId[slot] = 0;
        if (id !== 0) {
          if (qos === 1) this.#emitControl(ECMA419Client.PUBACK, id, ok ? 0 : FAILURE, undefined);
          else if (!ok) this.#emitControl(ECMA419Client.PUBREC, id, FAILURE, undefined);
          else {
            this.#emitControl(ECMA419Client.PUBREC, id, 0, undefined);
            if (!this.#closed) this.#emitControl(ECMA419Client.PUBCOMP, id, 0, undefined);
          }
        }
        this.#defer(W_WRITABLE);
      },
      log: (s, message) => {
        if (s === session && !this.#closed) this.#logLine(message);
      },
    };
  }

  /**
   * Marks `topic` answered in every pending write naming it (its code stays the QoS asked for,
   * or 0, if `ok`; else 0x80). An answered item's topic is blanked, so it is answered once.
   */
  #answer(list: Pending[], topic: string, ok: boolean): void {
    for (let p = 0; p < list.length; p++) {
      const pending = list[p]!;
      const topics = pending.topics;
      for (let i = 0; i < topics.length; i++) {
        if (topics[i] !== topic) continue;
        if (!ok) pending.codes[i] = FAILURE;
        topics[i] = "";
        pending.left--;
      }
    }
  }

  /** Reports each write answered in full: SUBACKs, then UNSUBACKs, in the order written. */
  #acknowledge(): void {
    for (let round = 0; round < 2; round++) {
      const list = round === 0 ? this.#subscribing : this.#unsubscribing;
      for (let p = 0; p < list.length && !this.#closed; ) {
        const pending = list[p]!;
        if (pending.left > 0) {
          p++;
          continue;
        }
        list.splice(p, 1);
        let failed = false;
        for (let i = 0; i < pending.codes.length; i++) if (pending.codes[i] === FAILURE) failed = true;
        if (round === 0) this.#emitControl(ECMA419Client.SUBACK, pending.id, 0, pending.codes);
        else this.#emitControl(ECMA419Client.UNSUBACK, pending.id, 0, failed ? pending.codes : undefined);
      }
    }
  }

  #emitControl(operation: number, id: number, returnCode: number, payload: number[] | undefined): void {
    const onControl = this.#onControl;
    if (onControl === undefined) return;
    const msg = this.#control;
    msg.operation = operation;
    msg.id = id;
    msg.returnCode = returnCode;
    msg.payload = payload;
    try {
      onControl.call(this, msg);
    } catch (e) {
      this.#threw(ON_CONTROL, e);
    }
  }

  /** onWritable with the bytes the next write may carry, if any. */
  #writable(): void {
    const onWritable = this.#onWritable;
    const n = this.#budget();
    if (n === 0 || onWritable === undefined) return;
    try {
      onWritable.call(this, n);
    } catch (e) {
      this.#threw(ON_WRITABLE, e);
    }
  }

  #logLine(message: string): void {
    const onLog = this.#onLog;
    if (onLog === undefined) return;
    try {
      onLog.call(this, `mqtt[${this.#session.id}] ${message}`);
    } catch (e) {
      traceLine(`mqtt[${this.#session.id}] ${threwText("onLog", e)}`);
    }
  }

  /**
   * The app's callback threw: reported through onLog (or trace), and goes no further, so the
   * modem event or timer that called it finishes as if it had returned.
   */
  #threw(callback: string, error: unknown): void {
    const line = threwText(callback, error);
    if (this.#onLog !== undefined) this.#logLine(line);
    else traceLine(`mqtt[${this.#session.id}] ${line}`);
  }

  // ---- ending ----

  /** The client is finished: tidy up now, tell the app from the timer (never inside a write or a modem event). */
  #finish(error: MqttError | null): void {
    if (this.#closed) return;
    this.#shutdown();
    this.#finalError = error;
    this.#due = W_FINISHED;
    this.#timer.schedule(0);
  }

  #shutdown(): void {
    this.#closed = true;
    this.#rx = null;
    this.#stageLeft = 0;
    this.#subscribing.length = 0;
    this.#unsubscribing.length = 0;
    this.#startWhenIdle = false;
    const session = this.#session;
    session.end();
    // Nothing of this client goes out later: unsent messages are dropped and, with a clean
    // session, its subscriptions forgotten (a later client on the slot would renew them).
    const box = session.outbox;
    while (box.size > 0) box.remove(0);
    this.#slotId.fill(0);
    if (this.#config.clean === 1) {
      const topics = session.subscriptions.slice();
      for (let i = 0; i < topics.length; i++) session.unsubscribe(topics[i]!);
    }
  }

  #defer(work: number): void {
    if (this.#due === 0) this.#timer.schedule(0);
    this.#due |= work;
  }

  #fire(): void {
    const due = this.#due;
    this.#due = 0;
    if (due & W_FINISHED) {
      const error = this.#finalError;
      this.#finalError = null;
      try {
        if (error !== null) this.#onError?.(error);
        else this.#onClose?.();
      } catch (e) {
        this.#threw(error !== null ? "onError" : "onClose", e);
      }
      return;
    }
    if (this.#closed) return;
    if (due & W_END) {
      // A refusal that retrying cannot fix: end the session, whose close finishes the client.
      this.#finish(this.#pendingError);
      return;
    }
    if (due & W_ACKS) this.#acknowledge();
    if (due & W_PINGRESP && !this.#closed && this.#session.connected) this.#emitControl(ECMA419Client.PINGRESP, 0, 0, undefined);
    if (due & W_WRITABLE && !this.#closed) this.#writable();
  }
}

const EMPTY = new Uint8Array(0);

function callback<K extends "onReadable" | "onWritable" | "onControl" | "onClose" | "onError" | "onLog">(options: ClientOptions, name: K): ClientOptions[K] {
  const value = options[name];
  if (value !== undefined && value !== null && typeof value !== FUNCTION) throw new ValidationError(name, `must be a function, got ${typeof value}`);
  return value ?? undefined;
}

/** The ECMA-419 options as the session's validated connection options. */
function connectOptions(o: ClientOptions): ConnectOptions {
  const host = o.host ?? o.address;
  if (host === undefined || host === null) throw new ValidationError("host", "required");
  let keepalive = 60;
  const ms = o.keepalive ?? o.keepAlive;
  if (ms !== undefined && ms !== 0) {
    if (typeof ms !== "number" || !(ms > 0)) throw new ValidationError("keepalive", `must be a number of milliseconds, got ${String(ms)}`);
    keepalive = Math.round(ms / 1000);
    if (keepalive < 1 || keepalive > 300) {
      throw new ValidationError("keepalive", `is in milliseconds and must come to 1 to 300 s (500 to 300499 ms; 0 for 60 s), got ${ms}`);
    }
  }
  let will: ConnectOptions["will"];
  if (o.will !== undefined && o.will !== null) {
    const w = o.will;
    if (typeof w !== "object") throw new ValidationError("will", "must be an object {topic, message, QoS, retain}");
    const message = w.message ?? w.data;
    if (message === undefined || message === null) throw new ValidationError("will.message", "required (the bytes published if the connection is lost)");
    will = {
      topic: w.topic,
      payload: typeof message === "string" ? message : bytesOf("will.message", message),
      qos: checkQos("will.QoS", w.QoS ?? 0),
      retain: checkFlag("will.retain", w.retain ?? false) === 1,
    };
  }
  return {
    host,
    port: o.port,
    clientId: o.id,
    username: o.user,
    password: o.password === undefined || typeof o.password === "string" ? o.password : latin1("password", o.password),
    keepalive,
    clean: o.clean,
    will,
    tls: o.tls,
    reconnect: o.reconnect,
    reconnectPeriod: o.reconnectPeriod,
    reconnectMaxPeriod: o.reconnectMaxPeriod,
    stableAfter: o.stableAfter,
    connectTimeout: o.connectTimeout,
    commandTimeout: o.commandTimeout,
    queueQoS0: o.queueQoS0,
    publishAttempts: o.publishAttempts,
    statusTimeout: o.statusTimeout,
  };
}

function bytesOf(field: string, data: BufferLike): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ValidationError(field, "must be a string, an ArrayBuffer or a view of one");
}

/** A password given as bytes, one character per byte (the command line takes printable ASCII only). */
function latin1(field: string, data: BufferLike): string {
  const bytes = bytesOf(field, data);
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
