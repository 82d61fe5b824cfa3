/**
 * One MQTT client id's connection to the real broker, through the `mqtt` package. It turns the
 * package's callbacks into the few outcomes the modem reports: connect accepted / refused (CONNACK
 * code) / failed, each operation's success flag, messages, and how the link ended.
 */
import type { Duplex } from "node:stream";
import mqtt, { MqttClient, type IClientOptions } from "mqtt";

export interface LinkConfig {
  url: string;
  clientId: string;
  username: Buffer | undefined;
  password: Buffer | undefined;
  clean: boolean;
  keepalive: number;
  connectTimeoutMs: number;
  will: { topic: Buffer; payload: Buffer; qos: 0 | 1 | 2; retain: boolean } | undefined;
  /** A ready connection to the broker (in-process); without it `url` is dialled. */
  stream?: () => Duplex;
}

export type ConnectOutcome = { kind: "accepted" } | { kind: "refused"; code: number } | { kind: "failed" };

/** Why a link ended: 1 broker/network dropped it, 2 radio link lost, 3 deregistered, 0 closed by AT+MQTTCLOSE. */
export type EndCause = 0 | 1 | 2 | 3;

export interface LinkListener {
  outcome(result: ConnectOutcome): void;
  message(topic: Buffer, payload: Buffer, qos: 0 | 1 | 2): void;
  /** Runs once, after every pending operation was settled; only for links that had connected. */
  ended(cause: EndCause): void;
}

type Settle = (ok: boolean) => void;

export class BrokerLink {
  private readonly client: MqttClient;
  private connected = false;
  private decided = false;
  private refusal: number | undefined;
  private cause: EndCause = 1;
  private readonly pending = new Set<Settle>();
  private muted = false;

  constructor(cfg: LinkConfig, private readonly listener: LinkListener) {
    const will = cfg.will;
    const options: IClientOptions = {
      protocolVersion: 4,
      clientId: cfg.clientId,
      ...(cfg.username !== undefined ? { username: cfg.username.toString("latin1") } : {}),
      ...(cfg.password !== undefined ? { password: cfg.password } : {}),
      clean: cfg.clean,
      keepalive: cfg.keepalive,
      connectTimeout: cfg.connectTimeoutMs,
      // The modem never reconnects by itself: the device decides, after +MQTTBREAK.
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      ...(will
        ? { will: { topic: will.topic.toString("latin1"), payload: will.payload, qos: will.qos, retain: will.retain } }
        : {}),
    };
    const stream = cfg.stream;
    this.client = stream ? new MqttClient(() => stream(), options) : mqtt.connect(cfg.url, options);
    this.client.on("connect", () => {
      this.connected = true;
      this.decide({ kind: "accepted" });
    });
    this.client.on("error", (err: Error & { code?: unknown }) => {
      if (!this.connected && typeof err.code === "number" && err.code >= 1 && err.code <= 5) this.refusal = err.code;
    });
    this.client.on("message", (topic, payload, packet) => {
      if (!this.muted) this.listener.message(Buffer.from(topic, "utf8"), payload, packet.qos);
    });
    this.client.on("close", () => this.onClose());
  }

  subscribe(topic: Buffer, qos: 0 | 1 | 2, done: Settle): void {
    const settle = this.track(done);
    this.client.subscribe(topic.toString("latin1"), { qos }, (err, granted) => {
      settle(!err && !!granted && granted.every((g) => (g.qos & 0x80) === 0));
    });
  }

  unsubscribe(topic: Buffer, done: Settle): void {
    const settle = this.track(done);
    this.client.unsubscribe(topic.toString("latin1"), (err) => settle(!err));
  }

  publish(topic: Buffer, payload: Buffer, qos: 0 | 1 | 2, retain: boolean, done: Settle): void {
    const settle = this.track(done);
    this.client.publish(topic.toString("latin1"), payload, { qos, retain }, (err) => settle(!err));
  }

  /** Clean close: DISCONNECT, so the broker discards the will. */
  close(): void {
    this.cause = 0;
    this.client.end(false);
  }

  /** Abrupt end: the socket is destroyed without DISCONNECT, so the broker publishes the will. */
  kill(cause: EndCause): void {
    this.cause = cause;
    this.client.end(true);
  }

  /**
   * Ends the link abruptly and reports nothing more, ever: after a modem reboot the old
   * connection's late results must not reach the new boot's output.
   */
  abandon(): void {
    this.muted = true;
    this.client.end(true);
  }

  private track(done: Settle): Settle {
    let settled = false;
    const settle: Settle = (ok) => {
      if (settled) return;
      settled = true;
      this.pending.delete(settle);
      if (!this.muted) done(ok);
    };
    this.pending.add(settle);
    return settle;
  }

  private decide(result: ConnectOutcome): void {
    if (this.decided) return;
    this.decided = true;
    if (!this.muted) this.listener.outcome(result);
  }

  private onClose(): void {
    if (!this.decided) {
      this.decide(this.refusal !== undefined ? { kind: "refused", code: this.refusal } : { kind: "failed" });
      this.client.end(true);
      return;
    }
    if (!this.connected) return;
    this.connected = false;
    for (const settle of [...this.pending]) settle(false);
    this.client.end(true);
    if (!this.muted) this.listener.ended(this.cause);
  }
}
