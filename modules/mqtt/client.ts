import type { MqttError } from "cellmqtt/modem/errors";
import { TOPIC_MIN } from "cellmqtt/modem/limits";
import type { CellularModem } from "cellmqtt/modem/modem";
import { S_IDLE, type MqttSession, type SessionListener } from "cellmqtt/modem/session";
import { ValidationError, checkFlag, checkSlot, checkTopicFilter, checkTopicName } from "cellmqtt/modem/validate";
import { Emitter } from "./emitter.ts";
import { checkQos, payloadBytes, sessionConfig, type ConnectOptions } from "./options.ts";
import { threwText, traceLine } from "./app-code.ts";

export type { ConnectOptions } from "./options.ts";
export { MqttError } from "cellmqtt/modem/errors";
export { ValidationError } from "cellmqtt/modem/validate";

// Names used on the steady paths, made once: in XS a string literal evaluated at run time
// allocates, a constant read does not.
const F_TOPIC = "topic";
const F_PAYLOAD = "payload";
const F_QOS = "qos";
const F_RETAIN = "retain";
const E_MESSAGE = "message";
const E_ERROR = "error";
const E_LOG = "log";

/** Details of a received message. One object, reused: copy what you keep. */
export interface MessageInfo {
  qos: number;
  /** The modem's client slot the message came in on. */
  slot: number;
}

export interface ClientEvents {
  connect: () => void;
  reconnect: () => void;
  offline: (reason: string) => void;
  close: () => void;
  error: (error: MqttError | ValidationError) => void;
  /** `payload` is valid only during the call: copy it to keep it. */
  message: (topic: string, payload: Uint8Array, info: MessageInfo) => void;
  log: (line: string) => void;
}

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

export type DoneCallback = (error?: Error) => void;
export type SubscribeCallback = (error: Error | null, granted: { topic: string; qos: number }[]) => void;

/**
 * An MQTT client in the manner of MQTT.js, over one of the modem's two client slots.
 * `publish` with a Uint8Array payload and receiving on an exact-topic subscription allocate
 * nothing once running.
 *
 * Listeners and the callbacks of `publish`, `subscribe` and `end` run inside modem events; one
 * that throws does not reach the session or the AT engine: the throw goes to the `error` event
 * (from an `error` listener itself, or with none: to the `log` event, else trace).
 */
export class MqttClient extends Emitter<ClientEvents> implements SessionListener {
  readonly session: MqttSession;
  private readonly info: MessageInfo = { qos: 0, slot: 0 };
  private readonly publishCallbacks: (DoneCallback | null)[];
  private readonly subscribeCallbacks = new Map<string, { callback: SubscribeCallback; qos: number }>();
  private endCallback: DoneCallback | null = null;
  /** An app throw is being reported: 1 to the `error` listeners, 2 to the `log` listeners. */
  private reporting = 0;

  constructor(
    readonly modem: CellularModem,
    options: ConnectOptions,
  ) {
    super();
    const config = sessionConfig(options, modem.limits);
    this.session = modem.session(checkSlot(options.slot ?? 1, modem.limits));
    this.publishCallbacks = new Array<DoneCallback | null>(this.session.outbox.capacity).fill(null);
    this.info.slot = this.session.id;
    this.session.listener = this;
    this.session.start(config);
  }

  get connected(): boolean {
    return this.session.connected;
  }

  /** Queues a message; it goes out when connected. Returns false if refused (see the `error` event or the callback). */
  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions, callback?: DoneCallback): boolean {
    let bytes: Uint8Array;
    let qos: number;
    let retain: number;
    try {
      const limits = this.modem.limits;
      checkTopicName(F_TOPIC, topic, TOPIC_MIN, limits.topicMax);
      bytes = payloadBytes(F_PAYLOAD, payload, limits.payloadMax);
      qos = options ? checkQos(F_QOS, options.qos ?? 0) : 0;
      retain = options ? checkFlag(F_RETAIN, options.retain ?? false) : 0;
    } catch (e) {
      return this.refuse(e as Error, callback);
    }
    // The callback goes in the slot the message will take before the session sees it: a port
    // that answers inside `write` can settle the message before `publish` returns.
    const box = this.session.outbox;
    const next = box.size < box.capacity ? box.slot(box.size) : -1;
    if (next >= 0) this.publishCallbacks[next] = callback ?? null;
    const slot = this.session.publish(topic, bytes, qos, retain);
    if (slot < 0) {
      if (next >= 0) this.publishCallbacks[next] = null;
      callback?.(new Error(slot === -2 ? `not connected: QoS 0 publish to "${topic}" refused (queueQoS0 is off)` : `outbox full: publish to "${topic}" refused`));
      return false;
    }
    return true;
  }

  subscribe(topic: string | string[], options?: { qos?: 0 | 1 | 2 }, callback?: SubscribeCallback): this {
    const topics = Array.isArray(topic) ? topic : [topic];
    let qos: number;
    try {
      qos = checkQos("qos", options?.qos ?? 0);
      for (const t of topics) checkTopicFilter("topic", t, TOPIC_MIN, this.modem.limits.topicMax);
    } catch (e) {
      this.refuse(e as Error, callback ? (err) => callback(err ?? null, []) : undefined);
      return this;
    }
    for (const t of topics) {
      if (callback) this.subscribeCallbacks.set(t, { callback, qos });
      this.session.subscribe(t, qos);
    }
    return this;
  }

  unsubscribe(topic: string | string[], callback?: DoneCallback): this {
    const topics = Array.isArray(topic) ? topic : [topic];
    try {
      for (const t of topics) checkTopicFilter("topic", t, TOPIC_MIN, this.modem.limits.topicMax);
    } catch (e) {
      this.refuse(e as Error, callback);
      return this;
    }
    for (const t of topics) this.session.unsubscribe(t);
    callback?.();
    return this;
  }

  /** Closes the connection (`AT+MQTTCLOSE`); no reconnect follows. */
  end(callback?: DoneCallback): this {
    if (this.session.state === S_IDLE) {
      callback?.();
      return this;
    }
    this.endCallback = callback ?? null;
    this.session.end();
    return this;
  }

  // ---- SessionListener: events from the session ----

  onConnect(s: MqttSession): void {
    if (s === this.session) this.emit("connect");
  }
  onReconnect(s: MqttSession): void {
    if (s === this.session) this.emit("reconnect");
  }
  onOffline(s: MqttSession, reason: string): void {
    if (s === this.session) this.emit("offline", reason);
  }
  onClose(s: MqttSession): void {
    if (s !== this.session) return;
    this.emit("close");
    const done = this.endCallback;
    this.endCallback = null;
    if (done === null) return;
    try {
      done();
    } catch (e) {
      this.appThrew(null, "end callback", e);
    }
  }
  onError(s: MqttSession, error: MqttError): void {
    if (s === this.session) this.emit("error", error);
  }
  onMessage(s: MqttSession, topic: string, payload: Uint8Array, qos: number): void {
    if (s !== this.session) return;
    this.info.qos = qos;
    this.emit(E_MESSAGE, topic, payload, this.info);
  }
  onSubscribed(s: MqttSession, topic: string, ok: boolean): void {
    if (s !== this.session) return;
    const pending = this.subscribeCallbacks.get(topic);
    if (!pending) return;
    this.subscribeCallbacks.delete(topic);
    try {
      pending.callback(ok ? null : new Error(`subscribe to "${topic}" refused`), ok ? [{ topic, qos: pending.qos }] : []);
    } catch (e) {
      this.appThrew(null, "subscribe callback", e);
    }
  }
  onPublished(s: MqttSession, topic: string, ok: boolean, slot: number): void {
    if (s !== this.session) return;
    const cb = this.publishCallbacks[slot];
    if (!cb) return;
    this.publishCallbacks[slot] = null;
    try {
      cb(ok ? undefined : new Error(`publish to "${topic}" failed`));
    } catch (e) {
      this.appThrew(null, "publish callback", e);
    }
  }
  log(s: MqttSession, message: string): void {
    if (s === this.session) this.emit("log", `mqtt[${s.id}] ${message}`);
  }

  protected override listenerThrew(event: keyof ClientEvents, error: unknown): void {
    this.appThrew(event, `"${event}" listener`, error);
  }

  /**
   * The app's listener or callback threw: to the `error` listeners, where MQTT.js users look for
   * trouble; a throw from an `error` listener, or with none, to the `log` listeners; a throw from
   * a `log` listener, or with none, to trace. Each step only goes down, so nothing loops.
   */
  private appThrew(event: keyof ClientEvents | null, where: string, error: unknown): void {
    const depth = this.reporting;
    if (depth === 0 && event !== E_ERROR && this.listenerCount(E_ERROR) > 0) {
      this.reporting = 1;
      try {
        this.emit(E_ERROR, error instanceof Error ? error : new Error(String(error)));
      } finally {
        this.reporting = depth;
      }
      return;
    }
    const line = `mqtt[${this.session.id}] ${threwText(where, error)}`;
    if (depth < 2 && event !== E_LOG && this.listenerCount(E_LOG) > 0) {
      this.reporting = 2;
      try {
        this.emit(E_LOG, line);
      } finally {
        this.reporting = depth;
      }
      return;
    }
    traceLine(line);
  }

  private refuse(error: Error, callback?: DoneCallback): false {
    if (callback) callback(error);
    else if (this.listenerCount("error") > 0) this.emit("error", error);
    else throw error;
    return false;
  }
}

/** Connects slot `options.slot` (default 1) of `modem`, starting the modem if it is not yet. */
export function connect(modem: CellularModem, options: ConnectOptions): MqttClient {
  const client = new MqttClient(modem, options);
  if (modem.link.state === 0) modem.start();
  return client;
}
