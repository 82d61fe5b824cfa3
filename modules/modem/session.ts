import type { AtEngine, CommandEncoder, CommandOwner } from "cellmqtt/at/engine";
import { FAILED_ROOM } from "cellmqtt/at/encoder";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { RESULT_CANCELLED, RESULT_ERROR, RESULT_OK, RESULT_TIMEOUT, resultName } from "cellmqtt/at/results";
import { Backoff } from "./backoff.ts";
import { Deadlines, type DeadlineOwner } from "./deadlines.ts";
import * as cmd from "./commands.ts";
import { MqttError, isRefusal, refusalError, type MqttErrorCode } from "./errors.ts";
import { Outbox, QUEUED, SENDING, SENT } from "./outbox.ts";
import { SUB_AWAITING, Subscriptions } from "./subscriptions.ts";
import { bytesQuotable } from "./validate.ts";

/** A validated connection configuration (see modules/mqtt for the user-facing options). */
export interface SessionConfig {
  host: string;
  port: number;
  clientId: string;
  username: string;
  password: string;
  keepalive: number;
  clean: 0 | 1;
  /** Sixth `AT+MQTTOPEN` argument for TLS on firmware that takes one; -1 leaves it out. */
  tls: number;
  will: { topic: string; payload: Uint8Array; qos: number; retain: 0 | 1 } | null;
  reconnect: boolean;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** A connection must stay up this long before the backoff starts again from its minimum. */
  stableMs: number;
  /** How long `+MQTTOPEN: <id>,<status>` may take after the command's OK (field: 10-40 s). */
  openTimeoutMs: number;
  commandTimeoutMs: number;
  /** Keep QoS 0 messages queued while offline (else they are dropped, and the caller told). */
  queueQoS0: boolean;
  /** Attempts before a QoS 1/2 message the modem keeps failing is given up. */
  publishAttempts: number;
  /**
   * How long a `+MQTTPUB`/`+MQTTSUB`/`+MQTTUNSUB` status may take after the command's `OK` (ms).
   * A QoS 1/2 message whose status does not come is sent again; a subscribe, tried again.
   */
  statusTimeoutMs: number;
}

/** What a session needs of the modem around it. */
export interface SessionHost {
  /** The connection opened: announcements lost meanwhile are to be read. */
  onOpened(session: MqttSession): void;
  /** Something suggests the link or the connection is gone though no URC said so: check it. */
  onSuspect(session: MqttSession, why: string): void;
}

/** Counters, per session, at these indices of `MqttSession.counts`. */
export const COUNT_PUBLISHED = 0;
export const COUNT_PUBLISH_FAILED = 1;
export const COUNT_RESENT = 2;
export const COUNT_STATUS_IGNORED = 3;

/** What a session reports; the public clients turn these into events. */
export interface SessionListener {
  onConnect(session: MqttSession): void;
  onReconnect(session: MqttSession): void;
  onOffline(session: MqttSession, reason: string): void;
  onClose(session: MqttSession): void;
  onError(session: MqttSession, error: MqttError): void;
  /** `payload` is valid only during the call; `topic` is the subscription's own string when it matches exactly. */
  onMessage(session: MqttSession, topic: string, payload: Uint8Array, qos: number): void;
  onSubscribed(session: MqttSession, topic: string, ok: boolean): void;
  /** The modem's `+MQTTUNSUB` status for `topic` (or its command failed). Optional. */
  onUnsubscribed?(session: MqttSession, topic: string, ok: boolean): void;
  /** The message in outbox `slot` left it: acknowledged (`ok`) or given up. */
  onPublished(session: MqttSession, topic: string, ok: boolean, slot: number): void;
  log(session: MqttSession, message: string): void;
}

export const S_IDLE = 0;
export const S_WAITING = 1;
export const S_CONFIGURING = 2;
export const S_OPENING = 3;
export const S_OPEN = 4;
export const S_CLOSING = 5;
export const STATE_NAMES = ["idle", "waiting", "configuring", "opening", "open", "closing"] as const;

// Command kinds; a tag is kind | epoch << 4, so answers to a previous connection are recognised.
const K_OPEN_QUERY = 1;
const K_PRECLOSE = 2;
const K_USER = 3;
const K_WILL = 4;
const K_OPEN = 5;
const K_CLOSE = 6;
const K_SUB = 7;
const K_UNSUB = 8;
const K_PUB = 9;
const KIND_NAMES = ["", "AT+MQTTOPEN?", "AT+MQTTCLOSE", "AT+MQTTUSER", "AT+MQTTWILL", "AT+MQTTOPEN", "AT+MQTTCLOSE", "AT+MQTTSUB", "AT+MQTTUNSUB", "AT+MQTTPUB"];

// What the session timer is waiting for.
const T_NONE = 0;
const T_BACKOFF = 1;
const T_OPEN_RESULT = 2;
const T_CLOSE_RESULT = 3;
/** A publish failed on an open connection: hold publishes a while instead of burning attempts. */
const T_HOLD = 4;

// Deadlines (indices in `due`): statuses awaited, and the subscription retry.
const D_PUB = 0;
const D_QOS0 = 1;
const D_SUB = 2;
const D_UNSUB = 3;
const D_SUB_RETRY = 4;
const DEADLINES = 5;
/** Retry for a publish waiting for transmit room held by the other client id's commands. */
const ROOM_RETRY_MS = 50;

// Why a publish failed, beside the AT results (RESULT_*, all >= 0).
const WHY_STATUS_0 = -1;
const WHY_TOO_LARGE = -2;
const WHY_UNENCODABLE = -3;
const WHY_NO_STATUS = -4;

function failureText(why: number): string {
  if (why === WHY_STATUS_0) return "+MQTTPUB status 0";
  if (why === WHY_NO_STATUS) return "no +MQTTPUB status in time";
  if (why === WHY_TOO_LARGE) return "too large for the transmit buffer";
  if (why === WHY_UNENCODABLE) return "unencodable";
  return why === RESULT_TIMEOUT ? "timeout" : resultName(why);
}

/** QoS 0 publishes handed to the engine at once: one on the wire, one ready behind it. */
const PIPELINE = 2;

/**
 * One MQTT connection of the modem (client id 1 or 2): a state machine from idle through
 * configuring (credentials, will), opening, open, closing and waiting to reconnect. The modem's
 * asynchronous results (`+MQTTOPEN: 1,1` 60 ms or 40 s after `OK`) are routed here by client id
 * and belong to this session's pending operation, whatever command is in flight when they come.
 *
 * `+MQTTPUB: <id>,<status>` names no message, so statuses can only be matched by order, and one
 * lost or duplicated would shift every later match. Hence at most one QoS 1/2 publish awaits its
 * status at a time, alone: QoS 0 publishes pipeline, but never beside it, and their statuses
 * are only counted off (their callbacks fire at `OK`). A status that does not come in
 * `statusTimeoutMs` sends the QoS 1/2 message again (QoS 1 allows a duplicate); a status nothing
 * awaits is logged, counted and ignored. Subscribes and unsubscribes follow the same rule.
 */
export class MqttSession implements CommandOwner, DeadlineOwner {
  state = S_IDLE;
  config: SessionConfig | null = null;
  readonly outbox: Outbox;
  private readonly timer: AlarmTimer;
  private timerFor = T_NONE;
  private backoff: Backoff;
  private epoch = 0;
  private networkUp = false;
  private freeIdsSeen = false;
  private openQueryAnswered = false;
  private openedAt = -1;
  private everConnected = false;
  private ending = false;
  private readonly subs = new Subscriptions();
  /** Counters (COUNT_*): publishes settled ok and failed, resends after a missing status, statuses ignored. */
  readonly counts = new Int32Array(4);
  /** Statuses of QoS 0 publishes still to come (they are only counted off). */
  private qos0Owed = 0;
  /** When each awaited status or retry (D_*) is due. */
  private readonly due: Deadlines;
  private subBackoff: Backoff;
  /** The modem around; set by it. */
  host: SessionHost | null = null;
  /** Length-form publishes send their data as hex text (see ModemOptions.publishData). */
  hexData = false;
  /** Where hex text is made before it is copied to the transmit region; made on first use. */
  private hexStage: Uint8Array | null = null;

  constructor(
    readonly id: number,
    private readonly engine: AtEngine,
    private readonly clock: Clock,
    /** Where events go; the public client installs itself here. */
    public listener: SessionListener,
    random: () => number,
    outboxMessages: number,
    outboxBytes: number,
  ) {
    this.outbox = new Outbox(outboxMessages, outboxBytes);
    this.timer = clock.timer(() => this.timerFired());
    this.due = new Deadlines(clock, DEADLINES, this);
    this.backoff = new Backoff(1000, 60000, random);
    this.subBackoff = new Backoff(1000, 60000, random);
    this.random = random;
  }

  private readonly random: () => number;

  get stateName(): string {
    return STATE_NAMES[this.state]!;
  }

  get connected(): boolean {
    return this.state === S_OPEN;
  }

  // ---- user operations ----

  /** Starts connecting with `config` (already validated), and keeps reconnecting until `end`. */
  start(config: SessionConfig): void {
    this.config = config;
    this.backoff = new Backoff(config.reconnectMinMs, config.reconnectMaxMs, this.random);
    this.subBackoff = new Backoff(config.reconnectMinMs, config.reconnectMaxMs, this.random);
    this.ending = false;
    this.everConnected = false;
    if (this.state === S_IDLE || this.state === S_WAITING) {
      this.state = S_WAITING;
      if (this.networkUp) this.beginConnect();
    }
  }

  /** Closes the connection; no reconnect follows. Queued messages stay for a later `start`. */
  end(): void {
    this.ending = true;
    switch (this.state) {
      case S_IDLE:
        return;
      case S_WAITING:
        this.cancelTimer();
        this.toIdle();
        return;
      case S_CLOSING:
        return;
      default:
        this.epoch++;
        this.requeueInFlight();
        this.cancelTimer();
        this.state = S_CLOSING;
        if (!this.issue(K_CLOSE, -1, (e) => cmd.mqttClose(e, this.id))) this.toIdle();
        else this.arm(T_CLOSE_RESULT, this.config!.commandTimeoutMs * 2);
    }
  }

  /** True if the connection opened at `time` or later. */
  openedSince(time: number): boolean {
    return this.state === S_OPEN && this.openedAt >= time;
  }

  /**
   * The modem says (through a check, not a URC) that this connection is gone: `AT+MQTTOPEN?`
   * lists the id as free while the session thinks it open.
   */
  vanished(reason: string): void {
    if (this.state === S_OPEN) this.lost(reason, true);
  }

  /**
   * Queues a publish and returns its outbox slot; -1 (and an error) if the outbox is full, -2 if
   * it is a QoS 0 message while offline and `queueQoS0` is off.
   * The payload is copied, so the caller may reuse its buffer at once.
   */
  publish(topic: string, payload: Uint8Array, qos: number, retain: number): number {
    if (qos === 0 && this.state !== S_OPEN && this.config !== null && !this.config.queueQoS0) {
      this.error("CONNECTION_LOST", `client ${this.id}: not connected and queueQoS0 is off: QoS 0 publish to "${topic}" refused`);
      return -2;
    }
    const slot = this.outbox.push(topic, payload, qos, retain);
    if (slot < 0) {
      this.error("QUEUE_FULL", `client ${this.id}: outbox full (${this.outbox.live} messages), publish to "${topic}" refused`);
      return -1;
    }
    this.pump();
    return slot;
  }

  subscribe(topic: string, qos: number): void {
    this.subs.add(topic, qos);
    this.pump();
  }

  unsubscribe(topic: string): void {
    this.subs.remove(topic);
    this.pump();
  }

  get subscriptions(): readonly string[] {
    return this.subs.wanted;
  }

  // ---- from the modem ----

  networkChanged(up: boolean, reason: string): void {
    this.networkUp = up;
    if (up) {
      if (this.state !== S_WAITING || this.timerFor === T_BACKOFF) return;
      // The first attempt goes at once; later ones wait out the backoff.
      if (!this.everConnected && this.backoff.attempts === 0) this.beginConnect();
      else this.scheduleReconnect(false);
      return;
    }
    // A close under way goes on: its result or its timeout ends it.
    if (this.state !== S_IDLE && this.state !== S_WAITING && this.state !== S_CLOSING) this.lost(reason, false);
    else if (this.state === S_WAITING) this.cancelTimer();
  }

  /** The modem rebooted: its MQTT state is gone, and so is every command we had queued. */
  modemRestarted(): void {
    this.networkUp = false;
    if (this.state === S_CLOSING) {
      this.toIdle();
      return;
    }
    if (this.state !== S_IDLE && this.state !== S_WAITING) this.lost("modem restarted", false);
  }

  /** `+MQTTBREAK: <id>,<cause>`. */
  onBreak(cause: number): void {
    if (this.state === S_IDLE || this.state === S_WAITING) return;
    if (this.state === S_CLOSING) {
      this.toIdle();
      return;
    }
    const reason = cause === 1 ? "disconnected by the broker or keepalive" : cause === 2 ? "wireless link lost" : "network not registered";
    // Causes 2 and 3 bring the link down too; the modem waits for it before any reconnect.
    this.lost(reason, cause === 1);
  }

  /** An asynchronous status line for this client id: `+MQTTOPEN`, `+MQTTSUB`, ... `<id>,<status>`. */
  onOpenStatus(ok: boolean): void {
    if (!this.awaitingOpen) return;
    this.cancelTimer();
    if (ok) {
      this.connected_();
      return;
    }
    this.failConnect("OPEN_FAILED", `client ${this.id}: connection to ${this.config!.host}:${this.config!.port} failed (+MQTTOPEN: ${this.id},0)`, -1);
  }

  /** True while a refusal reported outside `AT+MQTTOPEN`'s own result would be this session's. */
  get awaitingOpen(): boolean {
    return this.state === S_OPENING || (this.state === S_CONFIGURING && this.openSent);
  }

  /** True if `tag` is this session's `AT+MQTTOPEN` (whose own result carries a refusal). */
  isOpenCommand(owner: unknown, tag: number): boolean {
    return owner === this && (tag & 15) === K_OPEN;
  }

  /** `ERROR: 70x` that came after `AT+MQTTOPEN` had its `OK`. */
  onRefused(code: number): void {
    if (!this.awaitingOpen) return;
    this.cancelTimer();
    const err = refusalError(this.id, code);
    this.listener.onError(this, err);
    this.retryLater(err.permanent);
  }

  /**
   * `+MQTTCLOSE: <id>,<status>`: 1 closed; 0 the close failed (the id is not closed). A close
   * before a reopen waits for this (or its timeout), never just for the command's `OK`.
   */
  onCloseStatus(ok: boolean): void {
    if (this.state === S_CLOSING) {
      if (!ok) this.error("COMMAND_FAILED", `client ${this.id}: close failed (+MQTTCLOSE: ${this.id},0); the next connect closes it first`);
      this.toIdle();
      return;
    }
    if (this.state === S_CONFIGURING && this.timerFor === T_CLOSE_RESULT) {
      this.cancelTimer();
      if (ok) this.sendUser();
      else this.failConnect("COMMAND_FAILED", `client ${this.id}: could not close the id before reopening (+MQTTCLOSE: ${this.id},0)`, -1);
    }
  }

  onSubStatus(ok: boolean): void {
    const topic = this.subs.subscribeStatus();
    if (topic === null) return this.ignoredStatus("+MQTTSUB", ok);
    this.due.clear(D_SUB);
    if (ok) this.subBackoff.reset();
    else this.error("SUBSCRIBE_FAILED", `client ${this.id}: subscribe to "${topic}" refused (+MQTTSUB: ${this.id},0)`);
    this.listener.onSubscribed(this, topic, ok);
    this.pump();
  }

  onUnsubStatus(ok: boolean): void {
    const topic = this.subs.unsubscribeStatus();
    if (topic === null) return this.ignoredStatus("+MQTTUNSUB", ok);
    this.due.clear(D_UNSUB);
    if (!ok) this.error("UNSUBSCRIBE_FAILED", `client ${this.id}: unsubscribe from "${topic}" refused`);
    this.listener.onUnsubscribed?.(this, topic, ok);
    this.pump();
  }

  onPubStatus(ok: boolean): void {
    if (this.state === S_OPEN) {
      const k = this.outbox.find(SENT);
      if (k >= 0) {
        this.due.clear(D_PUB);
        this.settle(k, ok, WHY_STATUS_0);
        this.pump();
        return;
      }
      if (this.qos0Owed > 0) {
        if (--this.qos0Owed === 0) this.due.clear(D_QOS0);
        if (!ok) this.log(`a QoS 0 publish was reported failed (+MQTTPUB: ${this.id},0)`);
        this.pump();
        return;
      }
    }
    this.ignoredStatus("+MQTTPUB", ok);
  }

  private ignoredStatus(name: string, ok: boolean): void {
    this.counts[COUNT_STATUS_IGNORED]++;
    this.log(`ignored ${name}: ${this.id},${ok ? 1 : 0}: nothing awaits a status`);
  }

  /** An incoming message, already assembled; `topic` interned where possible. */
  deliver(topic: string, payload: Uint8Array, qos: number): void {
    this.listener.onMessage(this, topic, payload, qos);
  }

  /** A message the modem announced beyond the buffers was skipped unread: an error, so the app can answer it. */
  skipped(topic: string, payloadLength: number): void {
    this.error("MESSAGE_TOO_LARGE", `client ${this.id}: message${topic ? ` on "${topic}"` : ""} of ${payloadLength} bytes skipped: too large`);
  }

  /** The subscription's own string for an exact-topic message; null for a wildcard's. */
  intern(bytes: Uint8Array, start: number, end: number): string | null {
    return this.subs.intern(bytes, start, end);
  }

  // ---- CommandOwner ----

  onResponse(tag: number, _key: number, bytes: Uint8Array, body: number, end: number): boolean {
    if ((tag & 15) !== K_OPEN_QUERY) return false;
    // `+MQTTOPEN: 1,2` / `+MQTTOPEN: 1` lists free ids; `<id>,<0|1>` is an async status instead.
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    if (f.count === 2 && f.int(1) !== 2) return false;
    // The free ids may come in one line (`1,2`) or one line per id: any line naming ours counts.
    this.openQueryAnswered = true;
    for (let i = 0; i < f.count; i++) if (f.int(i) === this.id) this.freeIdsSeen = true;
    return true;
  }

  private openSent = false;

  onFinal(tag: number, result: number, code: number): void {
    const kind = tag & 15;
    if (tag >> 4 !== this.epoch) return; // an answer for a connection that is already gone
    if (result === RESULT_CANCELLED) return;
    const ok = result === RESULT_OK;
    if (!ok) this.log(`${KIND_NAMES[kind]} failed: ${resultName(result)}${code >= 0 ? " " + code : ""}`);
    switch (kind) {
      case K_OPEN_QUERY:
        if (ok && this.openQueryAnswered && !this.freeIdsSeen) {
          this.log(`client id ${this.id} still open in the modem; closing it first`);
          this.issue(K_PRECLOSE, -1, (e) => cmd.mqttClose(e, this.id));
        } else this.sendUser();
        return;
      case K_PRECLOSE:
        // After an open timeout the close only tidies the modem up: the backoff does the reopen.
        if (this.state !== S_CONFIGURING) return;
        // The reopen waits for `+MQTTCLOSE: <id>,1` (or its timeout): a modem still closing
        // refuses an open. A refused close leaves the id as it was: try the open all the same.
        if (ok) this.arm(T_CLOSE_RESULT, this.config!.commandTimeoutMs);
        else this.sendUser();
        return;
      case K_USER:
        if (!ok) return this.failCommand(kind, result, code);
        if (this.config!.will !== null) this.sendWill();
        else this.sendOpen();
        return;
      case K_WILL:
        if (!ok) return this.failCommand(kind, result, code);
        this.sendOpen();
        return;
      case K_OPEN:
        if (!ok) return this.failCommand(kind, result, code);
        if (this.state === S_CONFIGURING) {
          this.state = S_OPENING;
          this.arm(T_OPEN_RESULT, this.config!.openTimeoutMs);
        }
        return;
      case K_CLOSE:
        if (!ok && this.state === S_CLOSING) this.toIdle();
        return;
      case K_SUB: {
        const topic = this.subs.subscribeDone(ok);
        if (topic === null) return;
        if (ok) this.due.arm(D_SUB, this.config!.statusTimeoutMs);
        else this.subscriptionFailed(true, topic, `AT+MQTTSUB failed: ${resultName(result)}`, result === RESULT_ERROR);
        this.pump(); // work held back while the queue was full
        return;
      }
      case K_UNSUB: {
        const topic = this.subs.unsubscribeDone(ok);
        if (topic === null) return;
        if (ok) this.due.arm(D_UNSUB, this.config!.statusTimeoutMs);
        else this.subscriptionFailed(false, topic, `AT+MQTTUNSUB failed: ${resultName(result)}`, result === RESULT_ERROR);
        this.pump();
        return;
      }
      case K_PUB: {
        const box = this.outbox;
        const k = box.find(SENDING);
        if (k < 0) return;
        const slot = box.slot(k);
        if (!ok) {
          // `ERROR` on an open connection: the connection or the call may be gone unreported.
          if (result === RESULT_ERROR) this.suspect("AT+MQTTPUB answered ERROR");
          this.settle(k, false, result);
        } else if (box.qosOf(slot) > 0) {
          box.setState(slot, SENT);
          this.due.arm(D_PUB, this.config!.statusTimeoutMs);
        } else {
          // QoS 0: done at `OK`; its status, when it comes, is only counted off.
          this.qos0Owed++;
          this.due.arm(D_QOS0, this.config!.statusTimeoutMs);
          this.settle(k, true, RESULT_OK);
        }
        this.pump();
        return;
      }
    }
  }

  // ---- connection steps ----

  private beginConnect(): void {
    const c = this.config!;
    this.epoch++;
    this.state = S_CONFIGURING;
    this.openSent = false;
    this.freeIdsSeen = false;
    this.openQueryAnswered = false;
    this.log(`connecting to ${c.host}:${c.port}`);
    this.issue(K_OPEN_QUERY, this.engine.token("+MQTTOPEN"), (e) => cmd.queryForm(e, "OPEN"));
  }

  private sendUser(): void {
    const c = this.config!;
    this.issue(K_USER, -1, (e) => cmd.mqttUser(e, this.id, c.username, c.password, c.clientId));
  }

  private sendWill(): void {
    const w = this.config!.will!;
    this.issue(K_WILL, -1, (e) => cmd.mqttWill(e, this.id, w.topic, w.qos, w.retain, w.payload));
  }

  private sendOpen(): void {
    const c = this.config!;
    this.openSent = true;
    this.issue(K_OPEN, -1, (e) => cmd.mqttOpen(e, this.id, c.host, c.port, c.clean, c.keepalive, c.tls));
  }

  private connected_(): void {
    this.state = S_OPEN;
    this.openedAt = this.clock.now();
    this.everConnected = true;
    this.subs.connected();
    this.subBackoff.reset();
    this.log("connected");
    this.host?.onOpened(this);
    this.listener.onConnect(this);
    this.pump();
  }

  /** The connection went away (break, network, modem). Reconnects unless ended. */
  private lost(reason: string, reconnectNow: boolean): void {
    const wasOpen = this.state === S_OPEN;
    this.epoch++;
    this.cancelTimer();
    this.requeueInFlight();
    this.state = S_WAITING;
    this.log(`connection lost: ${reason}`);
    if (wasOpen) {
      // Backoff starts over only after a connection that stayed up (no storm after a kick).
      if (this.clock.now() - this.openedAt >= this.config!.stableMs) this.backoff.reset();
      this.listener.onOffline(this, reason);
    }
    if (reconnectNow && this.networkUp) this.scheduleReconnect(false);
  }

  private failCommand(kind: number, result: number, code: number): void {
    if (isRefusal(code)) {
      const err = refusalError(this.id, code);
      this.listener.onError(this, err);
      this.retryLater(err.permanent);
      return;
    }
    const what = result === RESULT_TIMEOUT ? "TIMEOUT" : "COMMAND_FAILED";
    // A plain `ERROR` to a connect step may mean the call is gone with no URC to say so.
    if (result === RESULT_ERROR) this.host?.onSuspect(this, `${KIND_NAMES[kind]} answered ERROR`);
    this.failConnect(what, `client ${this.id}: ${KIND_NAMES[kind]} failed: ${resultName(result)}${code >= 0 ? " " + code : ""}`, code);
  }

  private failConnect(code: MqttErrorCode, message: string, modemCode: number): void {
    this.listener.onError(this, new MqttError(code, message, this.id, modemCode));
    this.retryLater(false);
  }

  private retryLater(refused: boolean): void {
    this.epoch++;
    this.cancelTimer();
    this.requeueInFlight();
    this.state = S_WAITING;
    if (this.networkUp) this.scheduleReconnect(refused);
  }

  private scheduleReconnect(refused: boolean): void {
    const c = this.config!;
    if (this.ending || !c.reconnect) {
      this.toIdle();
      return;
    }
    const delay = refused ? this.backoff.longest() : this.backoff.next();
    this.log(`reconnecting in ${delay} ms (attempt ${this.backoff.attempts})`);
    this.arm(T_BACKOFF, delay);
  }

  private toIdle(): void {
    const was = this.state;
    this.epoch++;
    this.cancelTimer();
    this.requeueInFlight();
    this.state = S_IDLE;
    if (was !== S_IDLE) {
      this.log("closed");
      this.listener.onClose(this);
    }
  }

  private timerFired(): void {
    const what = this.timerFor;
    this.timerFor = T_NONE;
    switch (what) {
      case T_BACKOFF:
        if (this.state === S_WAITING && this.networkUp) {
          this.listener.onReconnect(this);
          this.beginConnect();
        }
        return;
      case T_OPEN_RESULT:
        if (this.state === S_OPENING) {
          this.failConnect("TIMEOUT", `client ${this.id}: no +MQTTOPEN result within ${this.config!.openTimeoutMs} ms`, -1);
          // The modem may still be trying: close the id so the next attempt starts clean.
          this.issue(K_PRECLOSE, -1, (e) => cmd.mqttClose(e, this.id));
        }
        return;
      case T_CLOSE_RESULT:
        if (this.state === S_CLOSING) this.toIdle();
        else if (this.state === S_CONFIGURING) {
          this.log(`no +MQTTCLOSE: ${this.id},<status> in time; opening all the same`);
          this.sendUser();
        }
        return;
      case T_HOLD:
        this.pump();
        return;
    }
  }

  // ---- output ----

  /** Sends what the connection owes: unsent subscriptions first, then publishes. */
  private pump(): void {
    if (this.state !== S_OPEN) {
      if (this.state !== S_CLOSING) this.dropQoS0IfOffline();
      return;
    }
    const engine = this.engine;
    // One subscribe and one unsubscribe outstanding at most (see Subscriptions); none while a
    // failed one waits out its backoff.
    if (!this.due.pending(D_SUB_RETRY)) {
      const k = this.subs.nextSubscribe();
      if (k >= 0 && engine.queueFree > 1 && !this.sendSubscribe(k)) return;
      if (this.subs.owesUnsubscribe && engine.queueFree > 1 && !this.sendUnsubscribe()) return;
    }
    const box = this.outbox;
    while (this.timerFor !== T_HOLD && engine.queueFree > 0) {
      const k = box.find(QUEUED);
      if (k < 0) return;
      const slot = box.slot(k);
      const sending = box.countIn(SENDING);
      // A QoS 1/2 message goes alone: nothing else in flight, no QoS 0 status still to come.
      if (box.find(SENT) >= 0 || (sending > 0 && this.qosInFlight() > 0)) return;
      if (box.qosOf(slot) > 0 ? sending > 0 || this.qos0Owed > 0 : sending >= PIPELINE) return;
      const e = engine.command(this, K_PUB | (this.epoch << 4), -1, this.config!.commandTimeoutMs);
      if (e === null) return;
      const off = box.offset(slot);
      const len = box.length(slot);
      if (bytesQuotable(box.pool, off, len)) cmd.mqttPub(e, this.id, box.topic(slot), box.qosOf(slot), box.retainOf(slot), box.pool, off, len, true);
      else if (this.hexData) cmd.mqttPubHex(e, this.id, box.topic(slot), box.qosOf(slot), box.retainOf(slot), box.pool, off, len, this.stage());
      else cmd.mqttPub(e, this.id, box.topic(slot), box.qosOf(slot), box.retainOf(slot), box.pool, off, len, false);
      // SENDING before `send`: a port that answers inside `write` settles the command within it.
      box.setState(slot, SENDING);
      if (!engine.send()) {
        // No room yet behind commands already queued: ours (it leaves when that one ends, and
        // pumps again) or the other client id's (no event of ours follows, so retry shortly).
        if (e.failure === FAILED_ROOM && engine.queued > 0) {
          box.setState(slot, QUEUED);
          if (box.countIn(SENDING) === 0 && this.timerFor === T_NONE) this.arm(T_HOLD, ROOM_RETRY_MS);
          return;
        }
        // Otherwise only a message too large for the transmit region gets here; it can never go.
        this.settle(k, false, e.failure === FAILED_ROOM ? WHY_TOO_LARGE : WHY_UNENCODABLE);
        continue;
      }
    }
  }

  private stage(): Uint8Array {
    return (this.hexStage ??= new Uint8Array(cmd.HEX_DATA_MAX));
  }

  /** Highest QoS among the messages whose command is in flight (0 when none). */
  private qosInFlight(): number {
    const box = this.outbox;
    let q = 0;
    for (let k = 0; k < box.size; k++) {
      const slot = box.slot(k);
      if (box.state(slot) === SENDING && box.qosOf(slot) > q) q = box.qosOf(slot);
    }
    return q;
  }

  /**
   * A subscribe (`sub`) or unsubscribe failed: `ERROR`, a timeout, or no status in time. It is
   * reported, and tried again after a backoff; an `ERROR` or a missing status on an open
   * connection also asks the modem to check the link.
   */
  private subscriptionFailed(sub: boolean, topic: string, why: string, suspect: boolean): void {
    if (suspect) this.suspect(`${sub ? "AT+MQTTSUB" : "AT+MQTTUNSUB"}: ${why}`);
    if (sub) {
      this.subs.subscribeFailed();
      this.error("SUBSCRIBE_FAILED", `client ${this.id}: subscribe to "${topic}" failed (${why}); trying again`);
      this.listener.onSubscribed(this, topic, false);
    } else {
      this.subs.unsubscribeFailed();
      this.error("UNSUBSCRIBE_FAILED", `client ${this.id}: unsubscribe from "${topic}" failed (${why}); trying again`);
      this.listener.onUnsubscribed?.(this, topic, false);
    }
    const delay = this.subBackoff.next();
    this.log(`${sub ? "subscribe" : "unsubscribe"} "${topic}" again in ${delay} ms`);
    this.due.arm(D_SUB_RETRY, delay);
  }

  private suspect(why: string): void {
    if (this.state === S_OPEN) this.host?.onSuspect(this, why);
  }

  // ---- status deadlines ----

  afterDeadlines(): void {
    this.pump();
  }

  onDeadline(d: number): void {
    if (this.state !== S_OPEN) return;
    switch (d) {
      case D_PUB: {
        const k = this.outbox.find(SENT);
        if (k < 0) return;
        this.counts[COUNT_RESENT]++;
        this.suspect("a +MQTTPUB status did not come");
        this.settle(k, false, WHY_NO_STATUS);
        return;
      }
      case D_QOS0:
        this.log(`${this.qos0Owed} QoS 0 publish status(es) never came; no longer waiting`);
        this.qos0Owed = 0;
        return;
      case D_SUB: {
        const topic = this.subs.subPhase === SUB_AWAITING ? this.subs.subTopic : null;
        if (topic !== null) this.subscriptionFailed(true, topic, "no +MQTTSUB status in time", true);
        return;
      }
      case D_UNSUB: {
        const topic = this.subs.unsubPhase === SUB_AWAITING ? this.subs.unsubTopic : null;
        if (topic !== null) this.subscriptionFailed(false, topic, "no +MQTTUNSUB status in time", true);
        return;
      }
      // D_SUB_RETRY: the pump that follows sends what is owed.
    }
  }

  // Kept out of `pump`'s loops: a closure's captured variables would make each pass through
  // those loops allocate a scope, even when nothing is sent.
  private sendSubscribe(k: number): boolean {
    const subs = this.subs;
    const topic = subs.topic(k);
    const qos = subs.qosOf(k);
    // Book-keeping first: a port that answers inside `write` finishes the command within `issue`.
    subs.subscribing(k, true);
    if (this.issue(K_SUB, -1, (e) => cmd.mqttSub(e, this.id, topic, qos))) return true;
    subs.subscribing(k, false);
    return false;
  }

  private sendUnsubscribe(): boolean {
    const topic = this.subs.takeUnsubscribe()!;
    if (this.issue(K_UNSUB, -1, (e) => cmd.mqttUnsub(e, this.id, topic))) return true;
    this.subs.untakeUnsubscribe();
    return false;
  }

  /**
   * Ends a message's life in the outbox: acknowledged, or failed (retried while attempts last).
   * `why` is a number (an AT result, or a WHY_* code) so the success path builds no string.
   */
  private settle(k: number, ok: boolean, why: number): void {
    const box = this.outbox;
    const slot = box.slot(k);
    const topic = box.topic(slot);
    if (!ok && box.qosOf(slot) > 0 && box.failed(slot) < this.config!.publishAttempts) {
      this.log(`publish to "${topic}" failed (${failureText(why)}); will retry`);
      box.setState(slot, QUEUED);
      // The modem refuses publishes between a dropped link and its +MQTTBREAK: retrying at once
      // would use up every attempt in those few milliseconds and lose the message.
      if (this.state === S_OPEN && this.timerFor === T_NONE) this.arm(T_HOLD, this.config!.reconnectMinMs);
      return;
    }
    box.remove(k);
    this.counts[ok ? COUNT_PUBLISHED : COUNT_PUBLISH_FAILED]++;
    if (!ok) this.error("PUBLISH_FAILED", `client ${this.id}: publish to "${topic}" failed (${failureText(why)})`);
    this.listener.onPublished(this, topic, ok, slot);
  }

  /** After a connection ends: messages in flight go back in the queue (QoS 0 per the setting). */
  private requeueInFlight(): void {
    const box = this.outbox;
    for (let k = 0; k < box.size; k++) {
      const slot = box.slot(k);
      const s = box.state(slot);
      if (s === SENDING || s === SENT) box.setState(slot, QUEUED);
    }
    // Unsubscribes sent but not confirmed go again, like subscriptions, on the next connection.
    this.subs.disconnected();
    // Statuses of the connection that ended are no longer awaited.
    this.qos0Owed = 0;
    this.due.clearAll();
    this.dropQoS0IfOffline();
  }

  private dropQoS0IfOffline(): void {
    const c = this.config;
    if (c === null || c.queueQoS0) return;
    const box = this.outbox;
    for (let k = box.size - 1; k >= 0; k--) {
      const slot = box.slot(k);
      if (box.state(slot) === QUEUED && box.qosOf(slot) === 0) {
        const topic = box.topic(slot);
        box.remove(k);
        this.counts[COUNT_PUBLISH_FAILED]++;
        this.error("CONNECTION_LOST", `client ${this.id}: QoS 0 message to "${topic}" dropped while offline`);
        this.listener.onPublished(this, topic, false, slot);
      }
    }
  }

  // ---- helpers ----

  private issue(kind: number, key: number, encode: (e: CommandEncoder) => void): boolean {
    // Some firmware holds AT+MQTTOPEN's final result until the broker answers.
    const c = this.config!;
    const timeout = kind === K_OPEN ? c.openTimeoutMs : c.commandTimeoutMs;
    const e = this.engine.command(this, kind | (this.epoch << 4), key, timeout);
    if (e === null) {
      this.log(`${KIND_NAMES[kind]} not sent: command queue full`);
      if (kind < K_SUB) this.failConnect("QUEUE_FULL", `client ${this.id}: command queue full`, -1);
      return false;
    }
    encode(e);
    if (this.engine.send()) return true;
    this.log(`${KIND_NAMES[kind]} not sent: ${e.failure === FAILED_ROOM ? "too large" : "unencodable value"}`);
    return false;
  }

  private arm(what: number, ms: number): void {
    this.timerFor = what;
    this.timer.schedule(ms);
  }

  private cancelTimer(): void {
    this.timerFor = T_NONE;
    this.timer.cancel();
  }

  private error(code: MqttErrorCode, message: string): void {
    this.listener.onError(this, new MqttError(code, message, this.id));
  }

  private log(message: string): void {
    this.listener.log(this, message);
  }
}

