import type { AtEngine, LineHandler } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { NOTICE_RESYNCED, NOTICE_SYNC_TIMEOUT, NOTICE_TIMEOUT, STAT_ECHOES, STAT_LINES, noticeName } from "cellmqtt/at/results";
import { lineText } from "cellmqtt/at/redact";
import { text } from "cellmqtt/at/bytes";
import { isRefusal } from "./errors.ts";
import { jitterSource } from "./jitter.ts";
import { APN_MAX, PAYLOAD_MAX } from "./limits.ts";
import { ValidationError, checkQuotable } from "./validate.ts";
import { Inbound } from "./inbound.ts";
import { LimitsProbe, manualLimits, type ModemLimits } from "./limits-probe.ts";
import { Query, type QueryAnswer, type QueryName } from "./query.ts";
import { NetworkLink, type NetworkListener, type NetworkSettings } from "./network.ts";
import { LinkCheck, type LinkCheckListener } from "./link-check.ts";
import { COUNT_PUBLISHED, COUNT_PUBLISH_FAILED, COUNT_RESENT, COUNT_STATUS_IGNORED, MqttSession, S_OPEN, type SessionHost, type SessionListener } from "./session.ts";

export interface ModemOptions {
  /** `apn`: printable ASCII without `"`, at most APN_MAX characters (a ValidationError otherwise). */
  network?: Partial<NetworkSettings>;
  /** Messages and payload bytes each client id may hold while offline or unacknowledged. */
  outboxMessages?: number;
  outboxBytes?: number;
  /** Source of reconnect jitter (tests pass a seeded one); replaces `seed`. */
  random?: () => number;
  /**
   * Something that differs per device and per boot (a client id, a saved boot count, the time):
   * seeds the reconnect jitter, with Math.random and the clock (see jitter.ts).
   */
  seed?: string | number;
  /** Pulses the modem's reset or power key when it stops answering; optional. */
  resetModem?: () => void;
  /** Field log: one line per event worth knowing about. */
  log?: (message: string) => void;
  /**
   * How the length form of `AT+MQTTPUB` sends its data (the manual: "Send any data in HEX").
   * `raw` (the default): the payload bytes as they are, `Datasize` = payload bytes (1-1024).
   * `hex`: each byte as two hex digits (`0x3e` -> `3E`), `Datasize` = the characters sent, so a
   * payload in the length form is 1-512 bytes (`limits.payloadMax` says so).
   */
  publishData?: "raw" | "hex";
}

/** What the soak test and field diagnostics read: totals over both client ids. */
export interface ModemCounters {
  /** Publishes settled: acknowledged (`ok`) or given up (`failed`). */
  published: number;
  publishFailed: number;
  /** QoS 1/2 messages sent again because their `+MQTTPUB` status never came. */
  resent: number;
  /** `+MQTTPUB`/`+MQTTSUB`/`+MQTTUNSUB` statuses that nothing awaited, logged and ignored. */
  statusesIgnored: number;
  /** Link checks run without a URC (an ERROR, a missing status, a quiet line). */
  linkChecks: number;
}

/** Longest payload of a hex length-form publish: `Datasize` (at most 1024) counts two a byte. */
const HEX_PAYLOAD_MAX = PAYLOAD_MAX / 2;

/** How often a quiet line is looked at when no session tells its keepalive (ms). */
const IDLE_DEFAULT_MS = 60000;

/**
 * The modem as a whole: one AT engine, the network link, and the two MQTT sessions (client ids
 * 1 and 2) that share its UART. It routes each unsolicited `+MQTT*` line by client id, and turns
 * `RDY` (the modem rebooted), `+MIPCALL: 0` (data call lost) and `+MQTTBREAK` into the recovery
 * each needs. Where no URC comes (lost on the line, or never sent) it checks the link itself:
 * after an `ERROR` to a publish or subscribe, a status that never came, or a line quiet for
 * about the keepalive.
 */
export class CellularModem implements NetworkListener, LineHandler, SessionHost, LinkCheckListener {
  readonly link: NetworkLink;
  readonly sessions: readonly [MqttSession, MqttSession];
  readonly inbound: Inbound;
  private readonly log_: (message: string) => void;
  private readonly keys: Int32Array;
  /** The integers of a `<id>,<status>` line (a plain array: XS reads it at half a typed array's cost). */
  private readonly values = [0, 0];
  private readonly keyError: number;
  private readonly check: LinkCheck;
  private readonly idleTimer: AlarmTimer;
  private linesAtIdle = -1;
  private echoesAtUp = 0;
  private checkStartedAt = 0;
  private linkChecks = 0;
  private stopped = false;

  constructor(
    readonly engine: AtEngine,
    readonly clock: Clock,
    private readonly options: ModemOptions = {},
  ) {
    this.log_ = options.log ?? (() => {});
    const random = options.random ?? jitterSource(options.seed ?? "", clock);
    const quiet = loggingListener(this.log_);
    const messages = options.outboxMessages ?? 16;
    const bytes = options.outboxBytes ?? 4096;
    this.sessions = [
      new MqttSession(1, engine, clock, quiet, random, messages, bytes),
      new MqttSession(2, engine, clock, quiet, random, messages, bytes),
    ];
    const hex = options.publishData === "hex";
    if (options.publishData !== undefined && !hex && options.publishData !== "raw") {
      throw new ValidationError("publishData", `must be "raw" or "hex", got ${String(options.publishData)}`);
    }
    for (const s of this.sessions) {
      s.host = this;
      s.hexData = hex;
    }
    if (hex) this.limits.payloadMax = HEX_PAYLOAD_MAX;
    this.inbound = new Inbound(engine, clock, this.sessions, this.log_);
    this.check = new LinkCheck(engine, this);
    this.idleTimer = clock.timer(() => this.idle());
    const network: NetworkSettings = { apn: "", receiveMode: 1, pollMs: 2000, dataCallTimeoutMs: 30000, ...options.network };
    // Refused here, by name: an APN the encoder cannot send would leave the link dialing forever.
    checkQuotable("network.apn", network.apn, 0, APN_MAX);
    this.link = new NetworkLink(engine, clock, network, this);
    const names = ["+MQTTOPEN", "+MQTTCLOSE", "+MQTTSUB", "+MQTTUNSUB", "+MQTTPUB", "+MQTTBREAK", "+MQTTMSG", "+MQTTMSGI", "RDY", "+MIPCALL", "+CEREG", "+CGREG"];
    this.keyError = engine.token("ERROR");
    this.keys = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) {
      this.keys[i] = engine.token(names[i]!);
      engine.listen(this.keys[i]!, this);
    }
    engine.listen(engine.token("ERROR"), this);
    engine.errorClaim = (code, owner, tag) => this.claimRefusal(code, owner, tag);
    engine.onNotice = (notice, b, start, end) => {
      this.log_(`at: ${noticeName(notice)}${end > start ? `: ${lineText(b, start, end)}` : ""}`);
      if (notice === NOTICE_TIMEOUT) this.timedOut();
      else if (notice === NOTICE_SYNC_TIMEOUT) this.syncUnanswered();
      else if (notice === NOTICE_RESYNCED) this.resynced();
    };
  }

  session(id: number): MqttSession {
    if (id !== 1 && id !== 2) throw new RangeError(`client id must be 1 or 2, got ${id}`);
    return this.sessions[id - 1]!;
  }

  /** What the modem accepts: the manual's values until `probeLimits` has asked the modem. */
  readonly limits: ModemLimits = manualLimits();

  /**
   * Asks the modem its limits with the test forms (`AT+MQTT*=?`) and calls `done` with them;
   * the clients' validation honours them from then on.
   */
  probeLimits(done?: (limits: ModemLimits) => void): void {
    new LimitsProbe(this.engine, this.limits, (l) => {
      // Hex text takes two characters a byte out of the modem's 1024-character data buffer.
      if (this.sessions[0]!.hexData && l.payloadMax > HEX_PAYLOAD_MAX) l.payloadMax = HEX_PAYLOAD_MAX;
      // A modem without the message mode asked for gets the one it has, from its next bring-up.
      if (l.modes.length > 0 && !l.modes.includes(this.link.receiveMode)) {
        const mode = l.modes[0] === 1 ? 1 : 0;
        this.log_(`limits: AT+MQTTCONF takes mode${l.modes.length > 1 ? "s" : ""} ${l.modes.join(",")} only; using ${mode}${mode === 0 ? " (payloads with \" or CR LF cannot be framed)" : ""}`);
        this.link.receiveMode = mode;
      }
      this.log_(`limits: topic ${l.topicMax}, payload ${l.payloadMax}, user ${l.usernameMax}, client id ${l.clientIdMax}, ids ${l.clientIds.join(",")}`);
      done?.(l);
    }, this.log_).start();
  }

  /**
   * Asks a query form (`AT+MQTTUSER?`, `AT+MQTTOPEN?`, `AT+MQTTCLOSE?`, `AT+MQTTCONF?`,
   * `AT+MQTTWILL?`) and calls `done` with its answer lines: what the modem holds for each
   * client id, for diagnostics. (`AT+MQTTUSER?` shows the stored password: log it with care.)
   */
  query(name: QueryName, done: (answer: QueryAnswer) => void): boolean {
    return new Query(this.engine, name, done).start();
  }

  /** Brings the network up; sessions connect when it is. */
  start(): void {
    this.stopped = false;
    this.inbound.stopped = false;
    this.link.start();
  }

  /**
   * Stops the modem for good: every session closes (`AT+MQTTCLOSE`, no reconnect), the data call
   * is hung up (`AT+MIPCALL=0`), and every timer is cancelled. Once those commands are answered
   * nothing more is sent, whatever the modem reports, until `start`.
   */
  stop(): void {
    this.stopped = true;
    for (const s of this.sessions) s.end();
    this.inbound.stop();
    this.check.cancel();
    this.idleTimer.cancel();
    this.link.stop();
  }

  /** Totals over both client ids, for the soak test and field diagnostics. */
  counters(): ModemCounters {
    const [a, b] = this.sessions;
    const sum = (i: number): number => a.counts[i]! + b.counts[i]!;
    return {
      published: sum(COUNT_PUBLISHED),
      publishFailed: sum(COUNT_PUBLISH_FAILED),
      resent: sum(COUNT_RESENT),
      statusesIgnored: sum(COUNT_STATUS_IGNORED),
      linkChecks: this.linkChecks,
    };
  }

  // ---- unsolicited lines ----

  onLine(key: number, bytes: Uint8Array, body: number, end: number): void {
    const k = this.keys;
    if (key === k[6]) return this.inbound.onMessageLine(bytes, body, end);
    if (key === k[7]) return this.inbound.onAnnounce(bytes, body, end);
    if (key === k[8]) return this.restarted("modem restarted (RDY)");
    if (key === k[9]) return this.link.onCallReport(bytes, body, end);
    if (key === k[10] || key === k[11]) return this.registrationReport(bytes, body, end);
    if (key === this.keyError) return this.refusedLate(bytes, body, end);
    // `+MQTTxxx: <id>,<status|cause>`
    const v = this.values;
    const n = this.engine.fields.ints(bytes, body, end, v);
    const id = n > 0 ? v[0]! : -1;
    const value = n > 1 ? v[1]! : -1;
    if ((id !== 1 && id !== 2) || n !== 2) {
      this.log_(`ignored: ${this.engine.tokenName(key)}: ${text(bytes, body, end)}`);
      return;
    }
    const s = this.sessions[id - 1]!;
    if (key === k[0]) s.onOpenStatus(value === 1);
    else if (key === k[1]) s.onCloseStatus(value === 1);
    else if (key === k[2]) s.onSubStatus(value === 1);
    else if (key === k[3]) s.onUnsubStatus(value === 1);
    else if (key === k[4]) s.onPubStatus(value === 1);
    else if (key === k[5]) this.broke(s, value);
  }

  // ---- NetworkListener ----

  onNetworkUp(): void {
    this.log_(`network up: ip ${this.link.ip}${this.link.operator ? `, operator ${this.link.operator}` : ""}`);
    // Echo is off from here on: an echoed command later means the modem rebooted without `RDY`.
    this.echoesAtUp = this.engine.stats[STAT_ECHOES]!;
    this.watchIdle();
    for (const s of this.sessions) s.networkChanged(true, "network up");
  }

  onNetworkDown(reason: string): void {
    this.idleTimer.cancel();
    this.check.cancel();
    for (const s of this.sessions) {
      this.inbound.clear(s.id);
      s.networkChanged(false, reason);
    }
  }

  /** Set by whoever asked for a signal reading (`link.requestSignal()`). */
  signalListener: ((rssi: number, ber: number) => void) | null = null;

  onSignal(rssi: number, ber: number): void {
    this.signalListener?.(rssi, ber);
  }

  onModemStuck(step: string, answer: string): void {
    this.log_(`modem stuck at ${step} (answer: ${answer})${this.options.resetModem ? "; pulsing reset" : "; no reset hook"}`);
    this.options.resetModem?.();
  }

  onModemSilent(misses: number): void {
    this.log_(`modem silent: ${misses} commands unanswered${this.options.resetModem ? "; pulsing reset" : ""}`);
    this.options.resetModem?.();
  }

  log(message: string): void {
    this.log_(message);
  }

  // ---- SessionHost ----

  onOpened(session: MqttSession): void {
    // Announcements lost while the connection was down (or on the line) are still in the modem.
    if (this.link.receiveMode === 1) this.inbound.sweep(session.id);
  }

  onSuspect(session: MqttSession, why: string): void {
    if (this.stopped || !this.link.up || this.check.busy) return;
    this.linkChecks++;
    this.checkStartedAt = this.clock.now();
    this.check.request(`client ${session.id}: ${why}`);
  }

  // ---- LinkCheckListener ----

  onCallGone(): void {
    this.link.callLost("data call gone (AT+MIPCALL? found none; no +MIPCALL: 0 came)");
  }

  onIdFree(id: number): void {
    const s = this.sessions[id - 1]!;
    // Opened after the check asked: the list predates the open.
    if (s.state !== S_OPEN || s.openedSince(this.checkStartedAt)) return;
    s.vanished("connection gone (AT+MQTTOPEN? lists the id as free; no +MQTTBREAK came)");
  }

  onChecked(echoes: number): void {
    if (echoes > this.echoesAtUp && this.link.up) this.restarted("modem restarted without RDY (commands echoed again)");
  }

  /** Every keepalive or so: a line that stayed quiet all that while gets a link check. */
  private idle(): void {
    const lines = this.engine.stats[STAT_LINES]!;
    const quiet = lines === this.linesAtIdle;
    this.linesAtIdle = lines;
    if (quiet && !this.stopped && this.link.up && !this.check.busy && (this.sessions[0]!.connected || this.sessions[1]!.connected)) {
      this.linkChecks++;
      this.checkStartedAt = this.clock.now();
      this.check.request("the line was quiet for a keepalive");
    }
    this.watchIdle();
  }

  private watchIdle(): void {
    let ms = IDLE_DEFAULT_MS;
    for (const s of this.sessions) if (s.config !== null && s.config.keepalive * 1000 < ms) ms = s.config.keepalive * 1000;
    this.idleTimer.schedule(ms);
  }

  /** A refusal code while some session awaits its open result, and the command in flight is not that open. */
  private claimRefusal(code: number, owner: unknown, tag: number): boolean {
    if (!isRefusal(code)) return false;
    for (const s of this.sessions) if (s.isOpenCommand(owner, tag)) return false;
    return this.sessions[0]!.awaitingOpen || this.sessions[1]!.awaitingOpen;
  }

  private refusedLate(bytes: Uint8Array, body: number, end: number): void {
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    const code = f.int(0);
    // With both ids opening the modem does not say whose it is; the first waiting one takes it.
    const s = this.sessions[0]!.awaitingOpen ? this.sessions[0]! : this.sessions[1]!;
    this.log_(`mqtt[${s.id}] refusal reported after OK: ERROR: ${code}`);
    s.onRefused(code);
  }

  /**
   * A command went unanswered. Two in a row with not one line from the modem between them mean
   * it stopped answering: the link resyncs (and, if that fails too, pulses the reset hook).
   */
  private timedOut(): void {
    const lines = this.engine.stats[STAT_LINES]!;
    this.silentTimeouts = lines === this.linesAtTimeout ? this.silentTimeouts + 1 : 1;
    this.linesAtTimeout = lines;
    if (this.silentTimeouts >= 2 && this.link.up) {
      this.silentTimeouts = 0;
      this.link.resync("modem not answering");
    }
  }

  private silentTimeouts = 0;
  private linesAtTimeout = -1;

  /**
   * The engine's sync went unanswered: while it is out of step no queued command goes out, so
   * this is the only sign of a silent modem. Three in a row, and every thirtieth after, pulse
   * the reset hook.
   */
  private syncUnanswered(): void {
    this.timedOut();
    const n = ++this.syncMisses;
    if (n === 3 || (n > 3 && (n - 3) % 30 === 0)) this.onModemSilent(n);
  }

  private syncMisses = 0;

  /**
   * The channel is back in step after giving a command up. Announcements (`+MQTTMSGI`) may have
   * been lost meanwhile: each open connection is read until the modem holds nothing more.
   */
  private resynced(): void {
    this.syncMisses = 0;
    if (this.stopped || this.link.receiveMode !== 1) return;
    for (const s of this.sessions) if (s.connected) this.inbound.sweep(s.id);
  }

  private broke(session: MqttSession, reported: number): void {
    // The manual lists causes 1-3; any other is taken as 1 (the connection alone is gone), so
    // the session reconnects instead of waiting for a cause that never comes.
    const cause = reported === 2 || reported === 3 ? reported : 1;
    this.log_(`+MQTTBREAK: ${session.id},${reported}${cause !== reported ? " (unknown cause, taken as 1)" : ""}`);
    this.inbound.clear(session.id);
    session.onBreak(cause);
    if (cause === 2 || cause === 3) this.link.linkLost(cause);
  }

  /** `+CEREG: <stat>` unsolicited (registration URCs enabled by the user): 0, 2, 3, 4 mean lost. */
  private registrationReport(bytes: Uint8Array, body: number, end: number): void {
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    const stat = f.count === 1 ? f.int(0) : -1;
    if (stat >= 0 && stat !== 1 && stat !== 5 && this.link.up) this.link.linkLost(3);
  }

  /** `RDY` (or echo back on): the modem rebooted. Echo is on again and all MQTT state is gone. */
  private restarted(why: string): void {
    if (this.stopped) return;
    this.log_(why);
    // Still at the first `AT`: nothing is set up that the reboot could undo, and that `AT` is
    // answered once the modem has booted. Starting over would send a second `AT` and leave the
    // first one's `OK` with no command to answer.
    if (this.link.syncing) return;
    this.check.cancel();
    for (const s of this.sessions) {
      this.inbound.clear(s.id);
      s.modemRestarted();
    }
    this.engine.reset();
    this.link.modemRestarted();
  }
}

/** Until a client takes a session over, its events are only logged. */
function loggingListener(log: (message: string) => void): SessionListener {
  return {
    onConnect: (s) => log(`mqtt[${s.id}] connected (no client attached)`),
    onReconnect: () => {},
    onOffline: (s, reason) => log(`mqtt[${s.id}] offline: ${reason}`),
    onClose: () => {},
    onError: (s, e) => log(`mqtt[${s.id}] error: ${e.message}`),
    onMessage: (s, topic) => log(`mqtt[${s.id}] message on "${topic}" with no client attached`),
    onSubscribed: () => {},
    onPublished: () => {},
    log: (s, m) => log(`mqtt[${s.id}] ${m}`),
  };
}
