import type { AtEngine, CommandOwner } from "cellmqtt/at/engine";
import { RESULT_OK, STAT_ECHOES } from "cellmqtt/at/results";
import * as cmd from "./commands.ts";

/** What a check found, told to the modem. */
export interface LinkCheckListener {
  /** `AT+MIPCALL?` says no data call is up, though no `+MIPCALL: 0` came. */
  onCallGone(): void;
  /** `AT+MQTTOPEN?` lists client id `id` as free (not connected). */
  onIdFree(id: number): void;
  /** The check ran to its end; `echoes` is the engine's count of echoed command lines then. */
  onChecked(echoes: number): void;
  log(message: string): void;
}

const TAG_CALL = 1;
const TAG_OPEN = 2;
const TIMEOUT_MS = 5000;

/**
 * Checks the link when no URC said it broke, but something suggests it did: an `ERROR` to a
 * publish or subscribe on an open connection, a status that never came, or a quiet line for
 * about the keepalive. Only forms the manual and the dialect notes give: `AT+MIPCALL?` (is the
 * data call up?) and then `AT+MQTTOPEN?` (which client ids are free, i.e. not connected?).
 * Requests while a check runs join it.
 */
export class LinkCheck implements CommandOwner {
  private running = false;
  private callUp = false;
  private listed = false;
  /** Free ids listed by `AT+MQTTOPEN?` (index 1 and 2). */
  private readonly free = new Uint8Array(3);
  private readonly keyCall: number;
  private readonly keyOpen: number;

  constructor(
    private readonly engine: AtEngine,
    private readonly listener: LinkCheckListener,
  ) {
    this.keyCall = engine.token("+MIPCALL");
    this.keyOpen = engine.token("+MQTTOPEN");
  }

  get busy(): boolean {
    return this.running;
  }

  /** Starts a check unless one is running; `why` goes in the log. */
  request(why: string): void {
    if (this.running) return;
    const e = this.engine.command(this, TAG_CALL, this.keyCall, TIMEOUT_MS);
    if (e === null) return; // the queue is full: the next suspicion asks again
    this.listener.log(`checking the link: ${why}`);
    this.running = true;
    this.callUp = false;
    cmd.dataCallQuery(e);
    if (!this.engine.send()) this.running = false;
  }

  /** Forgets a check under way (the modem restarted or stopped). */
  cancel(): void {
    this.running = false;
  }

  onResponse(tag: number, key: number, bytes: Uint8Array, body: number, end: number): boolean {
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    if (tag === TAG_CALL) {
      // `+MIPCALL: <1|0>[,<ip>]`; an unsolicited `+MIPCALL: <ip>` has a dot or colon instead.
      if (key !== this.keyCall || f.count < 1 || f.end(0) - f.start(0) !== 1) return false;
      this.callUp = f.int(0) === 1;
      return true;
    }
    // `+MQTTOPEN: 1,2`, `+MQTTOPEN: 1`, `+MQTTOPEN: 0`: free ids. `<id>,<0|1>` is an async status.
    if (key !== this.keyOpen || (f.count === 2 && f.int(1) !== 2)) return false;
    this.listed = true;
    for (let i = 0; i < f.count; i++) {
      const id = f.int(i);
      if (id === 1 || id === 2) this.free[id] = 1;
    }
    return true;
  }

  onFinal(tag: number, result: number): void {
    if (!this.running) return;
    if (result !== RESULT_OK) {
      // An unanswered or refused check proves nothing; the engine's timeout handling covers silence.
      this.running = false;
      this.listener.log(`link check: ${tag === TAG_CALL ? "AT+MIPCALL?" : "AT+MQTTOPEN?"} not answered`);
      return;
    }
    if (tag === TAG_CALL) {
      if (!this.callUp) {
        this.running = false;
        this.listener.onCallGone();
        this.listener.onChecked(this.engine.stats[STAT_ECHOES]!);
        return;
      }
      const e = this.engine.command(this, TAG_OPEN, this.keyOpen, TIMEOUT_MS);
      if (e === null) {
        this.running = false;
        return;
      }
      this.listed = false;
      this.free[1] = this.free[2] = 0;
      cmd.queryForm(e, "OPEN");
      if (!this.engine.send()) this.running = false;
      return;
    }
    this.running = false;
    if (this.listed) for (let id = 1; id <= 2; id++) if (this.free[id] === 1) this.listener.onIdFree(id);
    this.listener.onChecked(this.engine.stats[STAT_ECHOES]!);
  }
}
