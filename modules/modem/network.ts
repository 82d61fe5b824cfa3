import type { AtEngine, CommandEncoder, CommandOwner } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { RESULT_CANCELLED, RESULT_OK, RESULT_TIMEOUT, resultName } from "cellmqtt/at/results";
import * as cmd from "./commands.ts";

/** What the link tells the layer above. */
export interface NetworkListener {
  onNetworkUp(): void;
  onNetworkDown(reason: string): void;
  /** The modem stopped answering for `misses` commands in a row. */
  onModemSilent(misses: number): void;
  /** A bring-up step kept failing through a resync too: time for the reset hook. */
  onModemStuck(step: string, answer: string): void;
  /** A signal reading came in (`AT+CSQ`). */
  onSignal(rssi: number, ber: number): void;
  /** One line for the field log. */
  log(message: string): void;
}

export interface NetworkSettings {
  /** APN for the data call; "" lets the modem use its default. */
  apn: string;
  /**
   * `AT+MQTTCONF=<mode>`, sent once the data call is up (the manual's usage example dials before
   * any MQTT command, and some firmware refuses them before): 1 (the default) announces messages
   * for `AT+MQTTREAD`, read by length; 0 reports them in `+MQTTMSG` lines, which cannot frame a
   * payload holding `"` or CR LF.
   */
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
/** The data call is up; the MQTT message mode is being set. */
export const LINK_MQTT_SETUP = 6;
export const LINK_UP = 7;

const LINK_NAMES = ["stopped", "syncing", "configuring", "waiting for SIM", "registering", "dialing", "setting the message mode", "up"];

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
const TAG_HANG_UP = 11;

const SHORT_MS = 3000;
/** Quiet time after the first `OK` of a sync, for late answers to commands sent during boot. */
const SETTLE_MS = 150;
const SILENT_AFTER = 3;
const RESET_EVERY = 30;
/** Tries of a step whose command the modem refuses (`ERROR`) before escalating. */
const TRIES_REFUSED = 5;
/** Polls of a step that waits for the network (SIM not ready, not registered) before escalating. */
const TRIES_WAITING = 30;

/**
 * Network bring-up in the order of the manual's usage example, as a state machine: sync with
 * `AT`, echo off, SIM ready, registered (EPS, else GPRS), operator, data call up, and only then
 * the MQTT message mode (`AT+MQTTCONF` is "Pin Restricted", and some firmware refuses MQTT
 * commands before the call). It reruns from the right step when the modem reboots (`RDY`), the
 * call drops (`+MIPCALL: 0`), or a session reports the radio or registration lost
 * (`+MQTTBREAK` causes 2 and 3). No step retries forever: after a bounded number of tries it
 * escalates, first to a resync from `AT`, then to the reset hook, and logs the step and the
 * modem's answer each time.
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
  /** The link came up; the listener is told on the next timer tick. */
  private announcing = false;
  private dialDeadline = 0;
  /** Failed tries of the current step, and escalations since the link was last up. */
  private tries = 0;
  private escalations = 0;

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

  /** Bring-up is at its first step: no setting has been sent yet. */
  get syncing(): boolean {
    return this.state === LINK_SYNCING;
  }

  /** The message mode bring-up sets (`AT+MQTTCONF=<mode>`). */
  get receiveMode(): 0 | 1 {
    return this.settings.receiveMode;
  }

  /** Changes the mode for the next bring-up (a modem whose test form lacks the one asked for). */
  set receiveMode(mode: 0 | 1) {
    this.settings.receiveMode = mode;
  }

  get stateName(): string {
    return LINK_NAMES[this.state]!;
  }

  /** Starts bring-up from the first step. */
  start(): void {
    this.enter(LINK_SYNCING);
  }

  /**
   * Stops for good: cancels the timer and, if a data call is up or being made, hangs up with
   * `AT+MIPCALL=0`. Nothing is sent after that until `start`.
   */
  stop(): void {
    const hangUp = this.state >= LINK_DIALING;
    const wasUp = this.state === LINK_UP;
    this.timer.cancel();
    this.settling = false;
    this.state = LINK_STOPPED;
    if (wasUp) this.listener.onNetworkDown("stopped");
    this.listener.log("network: stopped");
    if (hangUp) this.issue(TAG_HANG_UP, this.keyMipcall, SHORT_MS, (e) => cmd.dataCall(e, false, ""));
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

  /** The data call is gone though no `+MIPCALL: 0` said so (a check found it). */
  callLost(reason: string): void {
    if (this.state === LINK_STOPPED || this.redoing(LINK_REGISTERING)) return;
    this.goDown(reason, LINK_REGISTERING);
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
      if (this.state === LINK_DIALING) this.enter(LINK_MQTT_SETUP);
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
    if (result === RESULT_CANCELLED || tag === TAG_HANG_UP) return;
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
    if (this.state === LINK_STOPPED && tag !== TAG_CSQ) return;
    const ok = result === RESULT_OK;
    switch (tag) {
      case TAG_CSQ:
        if (ok) this.listener.onSignal(this.rssi, this.ber);
        return;
      case TAG_SYNC:
        if (!ok) return this.failed(tag, result, code, TRIES_REFUSED);
        // Answers to commands sent while the modem was booting can still be on their way; a
        // short quiet spell lets them land as strays instead of answering our next command.
        this.settling = true;
        this.timer.schedule(SETTLE_MS);
        return;
      case TAG_ECHO_OFF:
        if (ok) this.enter(LINK_SIM);
        else this.failed(tag, result, code, TRIES_REFUSED);
        return;
      case TAG_SIM:
        if (ok && this.simReady) this.enter(LINK_REGISTERING);
        // A SIM still starting answers an error (`+CME ERROR: 14`, busy) for a while: poll it as a wait.
        else this.failed(tag, result, code, TRIES_WAITING, ok ? "SIM not ready" : "");
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
          this.failed(tag, result, code, TRIES_WAITING, ok ? "not registered" : "");
        }
        return;
      case TAG_COPS:
        this.enter(LINK_DIALING);
        return;
      case TAG_CALL_QUERY:
        if (ok && this.callActive && this.ip !== "") this.enter(LINK_MQTT_SETUP);
        else this.issue(TAG_CALL, this.keyMipcall, this.settings.dataCallTimeoutMs, (e) => cmd.dataCall(e, true, this.settings.apn));
        return;
      case TAG_CALL:
        if (!ok) this.failed(tag, result, code, TRIES_REFUSED);
        else if (this.state === LINK_DIALING) {
          // The IP comes later as `+MIPCALL: <ip>`; give up on it after the timeout.
          this.dialDeadline = this.clock.now() + this.settings.dataCallTimeoutMs;
          this.timer.schedule(this.settings.dataCallTimeoutMs);
        }
        return;
      case TAG_RECEIVE_MODE:
        if (ok) this.enter(LINK_UP);
        else this.failed(tag, result, code, TRIES_REFUSED);
        return;
      default:
        return;
    }
  }

  /**
   * A step failed: its command was refused, or the modem is not there yet (`why`). Retried after
   * the poll interval up to `limit` times; then a resync from `AT`; if the step fails that many
   * times again, the reset hook too, and so on, alternating. Each line names the step and the modem's answer.
   */
  private failed(tag: number, result: number, code: number, limit: number, why = ""): void {
    const answer = why !== "" ? why : `${resultName(result)}${code >= 0 ? `: ${code}` : ""}`;
    const step = tagName(tag);
    this.tries++;
    this.listener.log(`network: ${step} answered ${answer} (try ${this.tries} of ${limit})`);
    if (this.tries < limit) return this.retry();
    this.tries = 0;
    this.escalations++;
    // Resync and reset alternate: a reset needs time to act, and a resync may be all it takes.
    if (this.escalations % 2 === 1) {
      this.listener.log(`network: ${step} failed ${limit} times (last answer: ${answer}); resyncing`);
    } else {
      this.listener.log(`network: ${step} failed ${limit} times again (last answer: ${answer}); pulsing reset`);
      this.listener.onModemStuck(step, answer);
    }
    this.goDown(`${step} failed`, LINK_SYNCING);
  }

  private enter(state: number): void {
    const wasUp = this.state === LINK_UP;
    this.settling = false;
    this.announcing = false;
    // A new step starts its count of tries; the same step again (a retry) keeps it.
    if (state !== this.state) this.tries = 0;
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
      case LINK_MQTT_SETUP:
        this.issue(TAG_RECEIVE_MODE, -1, SHORT_MS, (e) => cmd.mqttConf(e, this.settings.receiveMode));
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
        this.escalations = 0;
        // Told from the timer, not from inside the final result that got here: the sessions
        // then start their connects on a short stack (the device's is small).
        this.announcing = true;
        this.timer.schedule(0);
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
    if (this.announcing) {
      this.announcing = false;
      if (this.state === LINK_UP) this.listener.onNetworkUp();
      return;
    }
    if (this.settling) {
      this.settling = false;
      if (this.state === LINK_SYNCING) this.enter(LINK_CONFIGURING);
      return;
    }
    if (this.state === LINK_DIALING && this.dialDeadline > 0 && this.clock.now() >= this.dialDeadline) {
      this.dialDeadline = 0;
      return this.failed(TAG_CALL, RESULT_OK, -1, TRIES_REFUSED, "OK but no IP in time");
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
  return ["", "AT", "ATE0", "AT+MQTTCONF", "AT+CPIN?", "AT+CEREG?", "AT+CGREG?", "AT+COPS?", "AT+MIPCALL?", "AT+MIPCALL=1", "AT+CSQ", "AT+MIPCALL=0"][tag] ?? `#${tag}`;
}
