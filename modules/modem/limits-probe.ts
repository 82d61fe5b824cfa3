import type { AtEngine, CommandEncoder, CommandOwner } from "cellmqtt/at/engine";
import { RESULT_OK } from "cellmqtt/at/results";
import * as cmd from "./commands.ts";
import { CLIENT_ID_STRING_MAX, HOST_MAX, KEEPALIVE_MAX, PASSWORD_MAX, PAYLOAD_MAX, PORT_MAX, QOS_MAX, TOPIC_MAX, USERNAME_MAX } from "./limits.ts";

/** What a modem accepts, as its test forms (`=?`) tell; the manual's values until probed. */
export interface ModemLimits {
  usernameMax: number;
  passwordMax: number;
  clientIdMax: number;
  hostMax: number;
  portMax: number;
  keepaliveMax: number;
  topicMax: number;
  qosMax: number;
  payloadMax: number;
  willPayloadMax: number;
  /** Client ids the modem lists (`(1,2)`). */
  clientIds: number[];
  /** Message modes `AT+MQTTCONF` takes. */
  modes: number[];
  /** True once a probe has run (each answer that came back replaced its default). */
  probed: boolean;
}

export function manualLimits(): ModemLimits {
  return {
    usernameMax: USERNAME_MAX,
    passwordMax: PASSWORD_MAX,
    clientIdMax: CLIENT_ID_STRING_MAX,
    hostMax: HOST_MAX,
    portMax: PORT_MAX,
    keepaliveMax: KEEPALIVE_MAX,
    topicMax: TOPIC_MAX,
    qosMax: QOS_MAX,
    payloadMax: PAYLOAD_MAX,
    willPayloadMax: PAYLOAD_MAX,
    clientIds: [1, 2],
    modes: [0, 1],
    probed: false,
  };
}

const STEPS: readonly cmd.MqttCommandName[] = ["USER", "OPEN", "SUB", "PUB", "WILL", "CONF"];
const TIMEOUT_MS = 5000;

/**
 * Asks the modem for its limits with the test forms `AT+MQTTUSER=?`, `AT+MQTTOPEN=?`,
 * `AT+MQTTSUB=?`, `AT+MQTTPUB=?`, `AT+MQTTWILL=?` and `AT+MQTTCONF=?`, one after another, and
 * fills `limits` from the answers. A form the firmware does not know (`ERROR`) keeps the manual's
 * value. Values are only ever tightened to what the manual allows, so validation stays safe.
 */
export class LimitsProbe implements CommandOwner {
  private step = 0;

  constructor(
    private readonly engine: AtEngine,
    private readonly limits: ModemLimits,
    private readonly done: (limits: ModemLimits) => void,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    this.step = 0;
    this.next();
  }

  onResponse(tag: number, _key: number, bytes: Uint8Array, body: number, end: number): boolean {
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    // Only the test form's answer starts with a list: `+MQTTOPEN: 1,1` is an async status.
    // `+MQTTCONF: (0,1)` is the list alone, and may hold one mode: `(0)`.
    if (f.count < (STEPS[tag] === "CONF" ? 1 : 2) || bytes[f.start(0) - (f.isQuoted(0) ? 1 : 0)] !== 0x28) return false;
    const l = this.limits;
    const ids: number[] = [];
    for (let id = 1; id <= 2; id++) if (f.listIncludes(0, id)) ids.push(id);
    switch (STEPS[tag]) {
      case "USER": // (1,2),<ulength>,<plength>[,<clength>]
        l.clientIds = ids;
        l.usernameMax = tighten(l.usernameMax, f.int(1), USERNAME_MAX);
        l.passwordMax = tighten(l.passwordMax, f.int(2), PASSWORD_MAX);
        l.clientIdMax = tighten(l.clientIdMax, f.int(3), CLIENT_ID_STRING_MAX);
        break;
      case "OPEN": // (1,2),("host"|(255)),(1-65535),(0,1),(1-300)
        l.hostMax = tighten(l.hostMax, f.upperBound(1), HOST_MAX);
        l.portMax = tighten(l.portMax, f.upperBound(2), PORT_MAX);
        l.keepaliveMax = tighten(l.keepaliveMax, f.upperBound(4), KEEPALIVE_MAX);
        break;
      case "SUB": // (1,2),<tlength>,(0-2)
        l.topicMax = tighten(l.topicMax, f.int(1), TOPIC_MAX);
        l.qosMax = tighten(l.qosMax, f.upperBound(2), QOS_MAX);
        break;
      case "PUB": // (1,2),<tlength>,(0-2),(0,1),<plength>
        l.topicMax = tighten(l.topicMax, f.int(1), TOPIC_MAX);
        l.payloadMax = tighten(l.payloadMax, f.int(4), PAYLOAD_MAX);
        break;
      case "WILL":
        l.willPayloadMax = tighten(l.willPayloadMax, f.int(4), PAYLOAD_MAX);
        break;
      case "CONF": {
        const modes: number[] = [];
        for (let m = 0; m <= 1; m++) if (f.listIncludes(0, m)) modes.push(m);
        if (modes.length > 0) l.modes = modes;
        break;
      }
    }
    return true;
  }

  onFinal(tag: number, result: number): void {
    if (result !== RESULT_OK) this.log(`AT+MQTT${STEPS[tag]}=? not answered; keeping the manual's limits for it`);
    this.step = tag + 1;
    this.next();
  }

  private next(): void {
    if (this.step >= STEPS.length) {
      this.limits.probed = true;
      this.done(this.limits);
      return;
    }
    const name = STEPS[this.step]!;
    const e: CommandEncoder | null = this.engine.command(this, this.step, this.engine.token(`+MQTT${name}`), TIMEOUT_MS);
    if (e === null) {
      this.log("limits probe: command queue full; probe abandoned");
      this.done(this.limits);
      return;
    }
    cmd.testForm(e, name);
    this.engine.send();
  }
}

/** A reported limit, if it is a number within what the manual allows; else the current one. */
function tighten(current: number, reported: number, manual: number): number {
  return reported > 0 && reported <= manual ? reported : current;
}
