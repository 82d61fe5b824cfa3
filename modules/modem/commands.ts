import { ascii } from "cellmqtt/at/bytes";
import type { CommandEncoder } from "cellmqtt/at/engine";

/**
 * Encoders for every command of the dialect, writing straight into the engine's transmit region.
 * Constant parts are encoded once, here, at start-up. Arguments are validated by the caller
 * (modules/modem/validate.ts); the encoder itself still refuses unquotable bytes, so nothing
 * that slips past validation can inject a command.
 */
const AT = ascii("AT");
const ATE0 = ascii("ATE0");
const CPIN_QUERY = ascii("AT+CPIN?");
const CEREG_QUERY = ascii("AT+CEREG?");
const CGREG_QUERY = ascii("AT+CGREG?");
const COPS_QUERY = ascii("AT+COPS?");
const CSQ = ascii("AT+CSQ");
const MIPCALL_QUERY = ascii("AT+MIPCALL?");
const MIPCALL_SET = ascii("AT+MIPCALL=");
const MQTTUSER = ascii("AT+MQTTUSER=");
const MQTTOPEN = ascii("AT+MQTTOPEN=");
const MQTTCLOSE = ascii("AT+MQTTCLOSE=");
const MQTTSUB = ascii("AT+MQTTSUB=");
const MQTTUNSUB = ascii("AT+MQTTUNSUB=");
const MQTTPUB = ascii("AT+MQTTPUB=");
const MQTTCONF = ascii("AT+MQTTCONF=");
const MQTTREAD = ascii("AT+MQTTREAD=");
const MQTTWILL = ascii("AT+MQTTWILL=");
const QUERY = ascii("?");
const TEST = ascii("=?");

/** The MQTT commands that have query (`?`) or test (`=?`) forms. */
export const MQTT_COMMANDS = ["USER", "OPEN", "CLOSE", "SUB", "UNSUB", "PUB", "CONF", "READ", "WILL"] as const;
export type MqttCommandName = (typeof MQTT_COMMANDS)[number];

const PREFIXES: Record<MqttCommandName, Uint8Array> = {
  USER: ascii("AT+MQTTUSER"),
  OPEN: ascii("AT+MQTTOPEN"),
  CLOSE: ascii("AT+MQTTCLOSE"),
  SUB: ascii("AT+MQTTSUB"),
  UNSUB: ascii("AT+MQTTUNSUB"),
  PUB: ascii("AT+MQTTPUB"),
  CONF: ascii("AT+MQTTCONF"),
  READ: ascii("AT+MQTTREAD"),
  WILL: ascii("AT+MQTTWILL"),
};

export const at = (e: CommandEncoder): void => void e.raw(AT);
export const echoOff = (e: CommandEncoder): void => void e.raw(ATE0);
export const simQuery = (e: CommandEncoder): void => void e.raw(CPIN_QUERY);
export const epsRegistrationQuery = (e: CommandEncoder): void => void e.raw(CEREG_QUERY);
export const gprsRegistrationQuery = (e: CommandEncoder): void => void e.raw(CGREG_QUERY);
export const operatorQuery = (e: CommandEncoder): void => void e.raw(COPS_QUERY);
export const signalQuery = (e: CommandEncoder): void => void e.raw(CSQ);
export const dataCallQuery = (e: CommandEncoder): void => void e.raw(MIPCALL_QUERY);

/** `AT+MIPCALL=<1|0>[,"apn"]`. */
export function dataCall(e: CommandEncoder, up: boolean, apn: string): void {
  e.raw(MIPCALL_SET).int(up ? 1 : 0);
  if (up && apn !== "") e.comma().quoted(apn);
}

/** `AT+MQTTxxx?`: the query form. */
export function queryForm(e: CommandEncoder, name: MqttCommandName): void {
  e.raw(PREFIXES[name]).raw(QUERY);
}

/** `AT+MQTTxxx=?`: the test form, which tells the modem's limits. */
export function testForm(e: CommandEncoder, name: MqttCommandName): void {
  e.raw(PREFIXES[name]).raw(TEST);
}

/** `AT+MQTTUSER=<id>,"user","password"[,"clientid"]`. */
export function mqttUser(e: CommandEncoder, id: number, user: string, password: string, clientId: string): void {
  e.raw(MQTTUSER).int(id).comma().quoted(user).comma().quoted(password);
  if (clientId !== "") e.comma().quoted(clientId);
}

/** `AT+MQTTOPEN=<id>,"host",<port>,<clean>,<keepalive>[,<tls>]`; tls < 0 leaves the argument out. */
export function mqttOpen(e: CommandEncoder, id: number, host: string, port: number, clean: number, keepalive: number, tls: number): void {
  e.raw(MQTTOPEN).int(id).comma().quoted(host).comma().int(port).comma().int(clean).comma().int(keepalive);
  if (tls >= 0) e.comma().int(tls);
}

export function mqttClose(e: CommandEncoder, id: number): void {
  e.raw(MQTTCLOSE).int(id);
}

export function mqttSub(e: CommandEncoder, id: number, topic: string, qos: number): void {
  e.raw(MQTTSUB).int(id).comma().quoted(topic).comma().int(qos);
}

export function mqttUnsub(e: CommandEncoder, id: number, topic: string): void {
  e.raw(MQTTUNSUB).int(id).comma().quoted(topic);
}

/** `<prefix><id>,"topic",<qos>,<retain>,`: the part publish and will share. */
function messageHead(e: CommandEncoder, prefix: Uint8Array, id: number, topic: string, qos: number, retain: number): CommandEncoder {
  return e.raw(prefix).int(id).comma().quoted(topic).comma().int(qos).comma().int(retain).comma();
}

/**
 * `AT+MQTTPUB`: quoted (`..."payload"`, printable ASCII without `"`) or the length form
 * (`...,<size>`, then after `>` exactly `size` raw bytes).
 */
export function mqttPub(e: CommandEncoder, id: number, topic: string, qos: number, retain: number, payload: Uint8Array, offset: number, length: number, quoted: boolean): void {
  const head = messageHead(e, MQTTPUB, id, topic, qos, retain);
  if (quoted) head.quotedBytes(payload, offset, length);
  else head.int(length).data(payload, offset, length);
}

/** Most characters the length form's data phase takes (`Datasize` 1-1024). */
export const HEX_DATA_MAX = 1024;
const HEX_DIGITS = ascii("0123456789ABCDEF");

/**
 * `AT+MQTTPUB` length form with the data as hex text, the manual's "Send any data in HEX" read
 * literally: `...,<2 * length>`, then after `>` two hex digits per payload byte. `stage` (at
 * least 2 * length bytes, made once) holds the text; nothing is allocated.
 */
export function mqttPubHex(e: CommandEncoder, id: number, topic: string, qos: number, retain: number, payload: Uint8Array, offset: number, length: number, stage: Uint8Array): void {
  const n = length * 2;
  for (let i = 0; i < length; i++) {
    const b = payload[offset + i]!;
    stage[2 * i] = HEX_DIGITS[b >> 4]!;
    stage[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  messageHead(e, MQTTPUB, id, topic, qos, retain).int(n).data(stage, 0, n);
}

/** `AT+MQTTWILL=<id>,"topic",<qos>,<retain>,"payload"`: the manual has the quoted form only. */
export function mqttWill(e: CommandEncoder, id: number, topic: string, qos: number, retain: number, payload: Uint8Array): void {
  messageHead(e, MQTTWILL, id, topic, qos, retain).quotedBytes(payload, 0, payload.length);
}

/** `AT+MQTTCONF=<mode>`: 0 delivers messages in `+MQTTMSG`, 1 announces them for `AT+MQTTREAD`. */
export function mqttConf(e: CommandEncoder, mode: number): void {
  e.raw(MQTTCONF).int(mode);
}

export function mqttRead(e: CommandEncoder, id: number): void {
  e.raw(MQTTREAD).int(id);
}
