import type { AtEngine, CommandEncoder, CommandOwner } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { RESULT_CANCELLED, RESULT_OK, RESULT_TIMEOUT } from "cellmqtt/at/results";
import * as cmd from "./commands.ts";

/** What the link tells the layer above. */
export interface NetworkListener {
  onNetworkUp(): void;
  onNetworkDown(reason: string): void;
  /** The modem stopped answering for `misses` commands in a row. */
  onModemSilent(misses: number): void;
  /** A signal reading came in (`AT+CSQ`). */
  onSignal(rssi: number, ber: number): void;
  /** One line for the field log. */
  log(message: string): void;
}

export interface NetworkSettings {
  /** APN for the data call; "" lets the modem use its default. */
  apn: string;
  /** Sent after sync, before anything else: the modem must report messages in this mode. */
  receiveMode: 0 | 1;
  /** Poll interval while waiting for SIM, registration or a data call (ms). */
  pollMs: number;
  /** How long a data call may take to report its IP (ms). */
  dataCallTimeoutMs: number;
}

export const LINK_STOPPED = 0;
export const LINK_SYNCING = 1;
export const LINK_CONFIGURING = 2;
export const LINK_SIM = 3;
export const LINK_REGISTERING = 4;
export const LINK_DIALING = 5;
export const LINK_UP = 6;

const LINK_NAMES = ["stopped", "syncing", "configuring", "waiting for SIM", "registering", "dialing", "up"];

// Command tags: the step each command belongs to.
const TAG_SYNC = 1;
const TAG_ECHO_OFF = 2;
const TAG_RECEIVE_MODE = 3;
const TAG_SIM = 4;
const TAG_CEREG = 5;
const TAG_CGREG = 6;
const TAG_COPS = 7;
const TAG_CALL_QUERY = 8;
const TAG_CALL = 9;
const TAG_CSQ = 10;

const SHORT_MS = 3000;
/** Quiet time after the first `OK` of a sync, for late answers to commands sent during boot. */
const SETTLE_MS = 150;
const SILENT_AFTER = 3;
const RESET_EVERY = 30;

/**
 * Network bring-up as the manual's usage example does it, as a state machine: sync with `AT`,
 * echo off, message mode, SIM ready, registered (EPS, else GPRS), operator, data call up. It
 * reruns from the right step when the modem reboots (`RDY`), the call drops (`+MIPCALL: 0`),
 * or a session reports the radio or registration lost (`+MQTTBREAK` causes 2 and 3).
 */
export class NetworkLink implements CommandOwner {
  state = LINK_STOPPED;
  ip = "";
  operator = "";
  /** Last `+CSQ` RSSI (0-31, 99 unknown) and bit error rate. */
  rssi = 99;
  ber = 99;
  private readonly timer: AlarmTimer;
  private readonly keyCpin: number;
  private readonly keyCereg: number;
  private readonly keyCgreg: number;
  private readonly keyCops: number;
  private readonly keyCsq: number;
  private readonly keyMipcall: number;
  private misses = 0;
  private settling = false;
  private dialDeadline = 0;

  constructor(
    private readonly engine: AtEngine,
    private readonly clock: Clock,
    private readonly settings: NetworkSettings,
    private readonly listener: NetworkListener,
  ) {
    this.timer = clock.timer(() => this.step());
    this.keyCpin = engine.token("+CPIN");
    this.keyCereg = engine.token("+CEREG");
    this.keyCgreg = engine.token("+CGREG");
    this.keyCops = engine.token("+COPS");
    this.keyCsq = engine.token("+CSQ");
    this.keyMipcall = engine.token("+MIPCALL");
  }

  get up(): boolean {
    return this.state === LINK_UP;
  }

  get stateName(): string {
    return LINK_NAMES[this.state]!;
  }

  /** Starts bring-up from the first step. */
  start(): void {
    this.enter(LINK_SYNCING);
  }

  stop(): void {
    this.timer.cancel();
    this.state = LINK_STOPPED;
  }

  /** The modem rebooted: echo is back on and every setting is gone. */
  modemRestarted(): void {
    if (this.state === LINK_STOPPED) return;
    this.goDown("modem restarted", LINK_SYNCING);
  }

  /** The modem stopped answering: start over from `AT`. */
  resync(reason: string): void {
    if (this.state === LINK_STOPPED) return;
    this.goDown(reason, LINK_SYNCING);
  }

  /** Radio link or registration lost (`+MQTTBREAK` cause 2 or 3). */
  linkLost(cause: number): void {
    // Already bringing the link up at registration or before (a break per client id, then
    // `+MIPCALL: 0`, all for one loss): that run gets there anyway; a second would double it.
    if (this.state === LINK_STOPPED || this.redoing(LINK_REGISTERING)) return;
    this.goDown(cause === 3 ? "network registration lost" : "wireless link lost", LINK_REGISTERING);
  }

  /** Queues `AT+CSQ`; the reading lands in `rssi` and `ber`. */
  requestSignal(): boolean {
    return this.issue(TAG_CSQ, this.keyCsq, SHORT_MS, cmd.signalQuery);
  }

  /** `+MIPCALL:` outside a command of ours: the call's IP, or `0` when the call dropped. */
  onCallReport(bytes: Uint8Array, body: number, end: number): void {
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    if (isAddress(bytes, f.start(0), f.end(0))) {
      this.ip = f.text(0);
      if (this.state === LINK_DIALING) this.enter(LINK_UP);
      return;
    }
    if (f.int(0) === 0 && this.state !== LINK_STOPPED && !this.redoing(LINK_REGISTERING)) this.goDown("data call dropped", LINK_REGISTERING);
  }

  onResponse(tag: number, key: number, bytes: Uint8Array, body: number, end: number): boolean {
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    switch (tag) {
      case TAG_SIM:
        this.simReady = f.equalsText(0, "READY");
        return true;
      case TAG_CEREG:
      case TAG_CGREG: {
        // `+CEREG: <n>,<stat>[,...]`: 1 home, 5 roaming.
        const stat = f.int(1);
        this.registered = stat === 1 || stat === 5;
        return true;
      }
      case TAG_COPS:
        this.operator = f.count >= 3 ? f.text(2) : "";
        return true;
      case TAG_CSQ:
        this.rssi = f.int(0);
        this.ber = f.int(1);
        return true;
      case TAG_CALL_QUERY:
        // `+MIPCALL: <status>[,<ip>]`
        if (key !== this.keyMipcall) return false;
        this.callActive = f.int(0) === 1;
        if (this.callActive && f.count > 1) this.ip = f.text(1);
        return true;
      default:
        return key === this.keyCpin || key === this.keyCops ? true : false;
    }
  }

  private simReady = false;
  private registered = false;
  private callActive = false;
  private triedGprs = false;

  onFinal(tag: number, result: number, code: number): void {
    // Cancelled by a modem restart: the restart itself reruns bring-up.
    if (result === RESULT_CANCELLED) return;
    if (result === RESULT_TIMEOUT) {
      this.misses++;
      this.listener.log(`no answer to ${tagName(tag)} (${this.misses} in a row)`);
      // Once at the threshold, then again every RESET_EVERY misses: a reset takes time to act.
      if (this.misses === SILENT_AFTER || (this.misses > SILENT_AFTER && (this.misses - SILENT_AFTER) % RESET_EVERY === 0)) {
        this.listener.onModemSilent(this.misses);
      }
      if (tag !== TAG_CSQ && this.state !== LINK_STOPPED) this.enter(LINK_SYNCING);
      return;
    }
    this.misses = 0;
    const ok = result === RESULT_OK;
    switch (tag) {
      case TAG_CSQ:
        if (ok) this.listener.onSignal(this.rssi, this.ber);
        return;
      case TAG_SYNC:
        if (!ok) return this.retry();
        // Answers to commands sent while the modem was booting can still be on their way; a
        // short quiet spell lets them land as strays instead of answering our next command.
        this.settling = true;
        this.timer.schedule(SETTLE_MS);
        return;
      case TAG_ECHO_OFF:
        if (ok) this.issue(TAG_RECEIVE_MODE, -1, SHORT_MS, (e) => cmd.mqttConf(e, this.settings.receiveMode));
        else this.retry();
        return;
      case TAG_RECEIVE_MODE:
        if (ok) this.enter(LINK_SIM);
        else this.retry();
        return;
      case TAG_SIM:
        if (ok && this.simReady) this.enter(LINK_REGISTERING);
        else {
          this.listener.log(`SIM not ready${code >= 0 ? ` (error ${code})` : ""}`);
          this.retry();
        }
        return;
      case TAG_CEREG:
      case TAG_CGREG:
        if (ok && this.registered) {
          this.issue(TAG_COPS, this.keyCops, SHORT_MS, cmd.operatorQuery);
        } else if (tag === TAG_CEREG && !this.triedGprs) {
          // 2G-only modules and networks answer on CGREG instead.
          this.triedGprs = true;
          this.issue(TAG_CGREG, this.keyCgreg, SHORT_MS, cmd.gprsRegistrationQuery);
        } else {
          this.triedGprs = false;
          this.retry();
        }
        return;
      case TAG_COPS:
        this.enter(LINK_DIALING);
        return;
      case TAG_CALL_QUERY:
        if (ok && this.callActive && this.ip !== "") this.enter(LINK_UP);
        else this.issue(TAG_CALL, this.keyMipcall, this.settings.dataCallTimeoutMs, (e) => cmd.dataCall(e, true, this.settings.apn));
        return;
      case TAG_CALL:
        if (!ok) {
          this.listener.log(`data call refused${code >= 0 ? ` (error ${code})` : ""}`);
          this.retry();
        } else if (this.state === LINK_DIALING) {
          // The IP comes later as `+MIPCALL: <ip>`; give up on it after the timeout.
          this.dialDeadline = this.clock.now() + this.settings.dataCallTimeoutMs;
          this.timer.schedule(this.settings.dataCallTimeoutMs);
        }
        return;
      default:
        return;
    }
  }

  private enter(state: number): void {
    const wasUp = this.state === LINK_UP;
    this.settling = false;
    this.state = state;
    this.timer.cancel();
    if (state !== LINK_UP) {
      if (wasUp) this.listener.onNetworkDown("network down");
    }
    this.listener.log(`network: ${LINK_NAMES[state]}`);
    switch (state) {
      case LINK_SYNCING:
        this.issue(TAG_SYNC, -1, 1000, cmd.at);
        return;
      case LINK_CONFIGURING:
        this.issue(TAG_ECHO_OFF, -1, SHORT_MS, cmd.echoOff);
        return;
      case LINK_SIM:
        this.simReady = false;
        this.issue(TAG_SIM, this.keyCpin, SHORT_MS, cmd.simQuery);
        return;
      case LINK_REGISTERING:
        this.registered = false;
        this.issue(TAG_CEREG, this.keyCereg, SHORT_MS, cmd.epsRegistrationQuery);
        return;
      case LINK_DIALING:
        this.callActive = false;
        this.ip = "";
        this.issue(TAG_CALL_QUERY, this.keyMipcall, SHORT_MS, cmd.dataCallQuery);
        return;
      case LINK_UP:
        this.listener.onNetworkUp();
        return;
    }
  }

  /** True while bring-up is already running at `step` or an earlier step. */
  private redoing(step: number): boolean {
    return this.state !== LINK_UP && this.state <= step;
  }

  private goDown(reason: string, restartAt: number): void {
    const wasUp = this.state === LINK_UP;
    this.state = restartAt;
    if (wasUp) this.listener.onNetworkDown(reason);
    this.listener.log(`network down: ${reason}`);
    this.enter(restartAt);
  }

  /** Reruns the current step after the poll interval. */
  private retry(): void {
    this.timer.schedule(this.settings.pollMs);
  }

  /** Timer: a retry is due, or a data call's IP never came. */
  private step(): void {
    if (this.settling) {
      this.settling = false;
      if (this.state === LINK_SYNCING) this.enter(LINK_CONFIGURING);
      return;
    }
    if (this.state === LINK_DIALING && this.dialDeadline > 0 && this.clock.now() >= this.dialDeadline) {
      this.dialDeadline = 0;
      this.listener.log("data call gave no IP in time");
    }
    if (this.state !== LINK_STOPPED && this.state !== LINK_UP) this.enter(this.state);
  }

  private issue(tag: number, key: number, timeoutMs: number, encode: (e: CommandEncoder) => void): boolean {
    const e = this.engine.command(this, tag, key, timeoutMs);
    if (e === null) {
      this.retry();
      return false;
    }
    encode(e);
    return this.engine.send();
  }
}

function isAddress(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] === 0x2e || bytes[i] === 0x3a) return true;
  return false;
}

function tagName(tag: number): string {
  return ["", "AT", "ATE0", "AT+MQTTCONF", "AT+CPIN?", "AT+CEREG?", "AT+CGREG?", "AT+COPS?", "AT+MIPCALL?", "AT+MIPCALL=1", "AT+CSQ"][tag] ?? `#${tag}`;
}
