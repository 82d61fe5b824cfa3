import { KEEPALIVE_MIN, PAYLOAD_MAX, PORT_MIN, QOS_MAX, TOPIC_MIN } from "cellmqtt/modem/limits";
import { manualLimits, type ModemLimits } from "cellmqtt/modem/limits-probe";
import type { SessionConfig } from "cellmqtt/modem/session";
import { ValidationError, checkFlag, checkInteger, checkQuotable, checkQuotableBytes, checkTopicName } from "cellmqtt/modem/validate";

export interface WillOptions {
  topic: string;
  /** Printable ASCII without `"`: `AT+MQTTWILL` takes the payload only as a quoted string. */
  payload: string | Uint8Array;
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/** Connection options, named as in MQTT.js where the meaning is the same. */
export interface ConnectOptions {
  host: string;
  port?: number;
  /** The modem's MQTT client slot, 1 or 2 (two connections can share the modem). */
  slot?: 1 | 2;
  /** MQTT client identifier, at most 23 characters; "" lets the modem use its IMEI. */
  clientId?: string;
  username?: string;
  password?: string;
  /** Seconds, 1-300. */
  keepalive?: number;
  clean?: boolean;
  /** TLS argument for `AT+MQTTOPEN` on firmware that takes one (1 on some, 2 on others). */
  tls?: number;
  will?: WillOptions;
  /** Reconnect after a lost connection (default true). */
  reconnect?: boolean;
  /** First reconnect delay, ms (default 1000); it doubles up to `reconnectMaxPeriod`, with jitter. */
  reconnectPeriod?: number;
  reconnectMaxPeriod?: number;
  /** A connection must stay up this long (ms) before the backoff starts over (default 30000). */
  stableAfter?: number;
  /** How long the modem may take to report the connection (ms, default 60000). */
  connectTimeout?: number;
  /** Per-command timeout (ms, default 10000). */
  commandTimeout?: number;
  /** Keep QoS 0 publishes while offline (default true); false drops them with an error. */
  queueQoS0?: boolean;
  /** Attempts for a QoS 1/2 publish the modem keeps failing (default 5). */
  publishAttempts?: number;
  /**
   * How long the modem's `+MQTTPUB`/`+MQTTSUB`/`+MQTTUNSUB` status may take after `OK` (ms,
   * default 30000). A QoS 1/2 message whose status does not come is sent again.
   */
  statusTimeout?: number;
}

/** Payload as bytes: strings are UTF-8 encoded (allocates; pass a Uint8Array on hot paths). */
export function payloadBytes(field: string, payload: string | Uint8Array, max = PAYLOAD_MAX): Uint8Array {
  const bytes = payload instanceof Uint8Array ? payload : typeof payload === "string" ? utf8(payload) : payload;
  if (!(bytes instanceof Uint8Array)) throw new ValidationError(field, "must be a string or Uint8Array");
  if (bytes.length > max) throw new ValidationError(field, `length must be 0 to ${max} bytes, got ${bytes.length}`);
  return bytes;
}

export function checkQos(field: string, qos: unknown): 0 | 1 | 2 {
  return checkInteger(field, qos, 0, QOS_MAX) as 0 | 1 | 2;
}

/** Validates every option and fills in defaults; throws a ValidationError naming the field. */
export function sessionConfig(o: ConnectOptions, limits: ModemLimits = manualLimits()): SessionConfig {
  if (o === null || typeof o !== "object") throw new ValidationError("options", "must be an object");
  const will = o.will
    ? {
        topic: checkTopicName("will.topic", o.will.topic, TOPIC_MIN, limits.topicMax),
        payload: checkQuotableBytes("will.payload", payloadBytes("will.payload", o.will.payload, limits.willPayloadMax), limits.willPayloadMax),
        qos: checkQos("will.qos", o.will.qos ?? 0),
        retain: checkFlag("will.retain", o.will.retain ?? false),
      }
    : null;
  const reconnectMinMs = checkInteger("reconnectPeriod", o.reconnectPeriod ?? 1000, 1, 3_600_000);
  return {
    host: checkQuotable("host", o.host, 1, limits.hostMax),
    port: checkInteger("port", o.port ?? 1883, PORT_MIN, limits.portMax),
    clientId: checkQuotable("clientId", o.clientId ?? "", 0, limits.clientIdMax),
    username: checkQuotable("username", o.username ?? "", 0, limits.usernameMax),
    password: checkQuotable("password", o.password ?? "", 0, limits.passwordMax),
    keepalive: checkInteger("keepalive", o.keepalive ?? 60, KEEPALIVE_MIN, limits.keepaliveMax),
    clean: checkFlag("clean", o.clean ?? true),
    tls: o.tls === undefined ? -1 : checkInteger("tls", o.tls, 0, 9),
    will,
    reconnect: o.reconnect ?? true,
    reconnectMinMs,
    reconnectMaxMs: checkInteger("reconnectMaxPeriod", o.reconnectMaxPeriod ?? Math.max(60000, reconnectMinMs), reconnectMinMs, 86_400_000),
    stableMs: checkInteger("stableAfter", o.stableAfter ?? 30000, 0, 86_400_000),
    openTimeoutMs: checkInteger("connectTimeout", o.connectTimeout ?? 60000, 1000, 600_000),
    commandTimeoutMs: checkInteger("commandTimeout", o.commandTimeout ?? 10000, 100, 600_000),
    queueQoS0: o.queueQoS0 ?? true,
    publishAttempts: checkInteger("publishAttempts", o.publishAttempts ?? 5, 1, 100),
    statusTimeoutMs: checkInteger("statusTimeout", o.statusTimeout ?? 30000, 100, 600_000),
  };
}

/** UTF-8 without TextEncoder, which Moddable builds may lack. */
function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}
