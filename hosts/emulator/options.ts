/** Construction options of the virtual modem, with defaults chosen for fast tests. */
import type { Duplex } from "node:stream";
import type { Clock } from "cellmqtt/at/port";

/**
 * How `AT+MQTTOPEN` reports its outcome (the manual lists both `OK` + `+MQTTOPEN: id,status`
 * and a final `ERROR: <err>`):
 * - "deferred": the final result waits for the broker. Accepted: `OK` then `+MQTTOPEN: id,1`.
 *   Refused by CONNACK code 1..5: final result `ERROR: 700`..`ERROR: 704` (no OK). Network
 *   failure or timeout: `OK` then `+MQTTOPEN: id,0`. Other commands queue behind it meanwhile.
 * - "immediate": `OK` at once, later `+MQTTOPEN: id,1` or `+MQTTOPEN: id,0` (refusal included).
 * - "immediate-error": `OK` at once, later `+MQTTOPEN: id,1`, `ERROR: 70x` as an unsolicited
 *   line on refusal, or `+MQTTOPEN: id,0` on network failure.
 */
export type OpenResultStyle = "deferred" | "immediate" | "immediate-error";

/**
 * The two readings of the manual's "Send any data in HEX" for `AT+MQTTPUB=...,<Datasize>`.
 * In both, Datasize counts the bytes on the wire after the `>` prompt (1-1024):
 * - "raw": each wire byte is one payload byte (any value).
 * - "hex": the wire carries two hex digits per payload byte (`0-9`, `A-F`, `a-f`), so Datasize
 *   is even and the payload is Datasize / 2 bytes (up to 512); anything else is answered `ERROR`
 *   once Datasize bytes have arrived.
 */
export type PublishData = "raw" | "hex";

/**
 * The two readings of the manual's `+MQTTREAD` answer, which prints the header
 * `+MQTTREAD: <id>,<qos>,<tlength>,<plength>` and `<"Topic">,<"Payload">` on separate lines:
 * - "one-line": `+MQTTREAD: 1,0,5,3,"topic","pay"` CR LF.
 * - "two-line": `+MQTTREAD: 1,0,5,3` CR LF, then `"topic","pay"` CR LF.
 */
export type ReadLayout = "one-line" | "two-line";

/** The sixth `AT+MQTTOPEN` argument some firmware takes to ask for TLS; "none" is the manual's five fields. */
export type TlsField = "none" | 1 | 2;

export interface VirtualModemOptions {
  /** Broker every MQTTOPEN connects to (e.g. "mqtt://127.0.0.1:1883"). Default: the host and port given in the command. */
  broker?: string;
  /** Output pacing; bytes per second = baud / 10. 0 = unpaced. Default 0. */
  baud?: number;
  /** Delay of asynchronous results (URCs), uniform in [min, max] ms. Default [20, 60]. */
  latencyMs?: number | readonly [number, number];
  /** Delay before `RDY` when started. Default 0. */
  bootDelayMs?: number;
  /** Time from a reboot fault to `RDY`; input is ignored meanwhile. Default 200. */
  rebootDelayMs?: number;
  /** See OpenResultStyle. Default "deferred". */
  openResult?: OpenResultStyle;
  /** `ERROR` (default) or `+CME ERROR: <n>` (50 bad parameter, 3 not allowed, 4 unknown). */
  errors?: "plain" | "cme";
  /** After `+MQTTBREAK: id,cause`, also report `+MQTTCLOSE: id,1` (the manual's example). Default true. */
  closeAfterBreak?: boolean;
  /** Put a space after each comma of `+MQTTMSG`/`+MQTTMSGI` (seen on some firmware). Default false. */
  urcSpaces?: boolean;
  /** Data-phase prompt, written with no line end. Default ">". */
  prompt?: string;
  /**
   * Keep MQTTUSER, MQTTWILL and MQTTCONF across a reboot. The manual marks every MQTT command
   * "Persistent: No", so the default is false; true models firmware that keeps them anyway.
   */
  persistSettings?: boolean;
  /** Data phase gives up after this many ms with `ERROR`. 0 = wait forever (default). */
  dataTimeoutMs?: number;
  /** Mode-1 messages kept for AT+MQTTREAD per client id; newer ones are dropped when full. Default 32. */
  readQueueLimit?: number;
  /** Broker connect timeout before `+MQTTOPEN: id,0`. Default 10000. */
  connectTimeoutMs?: number;
  /** Longest command line accepted; longer lines get an error. Default 4096. */
  maxLineLength?: number;
  /** See PublishData. Default "raw". */
  publishData?: PublishData;
  /** See ReadLayout. Default "one-line". */
  readLayout?: ReadLayout;
  /**
   * Accept a sixth `AT+MQTTOPEN` argument equal to this value (TLS on such firmware; the
   * emulator still connects in plain). Default "none": any sixth field is an error, as in the manual.
   */
  tlsField?: TlsField;
  /**
   * Answer every `AT+MQTT*` command with an error while the data call is down, as some firmware
   * does (the manual's usage example dials first). Default false.
   */
  mqttNeedsDataCall?: boolean;
  /** Client id used when MQTTUSER gave none (the manual: the IMEI). */
  imei?: string;
  /** Address reported by `+MIPCALL`. */
  ip?: string;
  /** Operator name in `+COPS`. */
  operator?: string;
  /** PRNG seed for jitter, split points and garbage. Default 1. */
  seed?: number;
  /** Opens a connection to an in-process broker for each MQTTOPEN instead of dialling `broker`. */
  brokerStream?: () => Duplex;
  /** Time source for every delay of the modem; a simulated clock makes runs reproducible. Default: wall time. */
  clock?: Clock;
}

export type ResolvedOptions = Required<Omit<VirtualModemOptions, "broker" | "latencyMs" | "clock" | "brokerStream">> & {
  broker: string | undefined;
  latencyMs: readonly [number, number];
};

export function resolveOptions(o: VirtualModemOptions = {}): ResolvedOptions {
  const lat = o.latencyMs ?? [20, 60];
  return {
    broker: o.broker,
    baud: o.baud ?? 0,
    latencyMs: typeof lat === "number" ? [lat, lat] : lat,
    bootDelayMs: o.bootDelayMs ?? 0,
    rebootDelayMs: o.rebootDelayMs ?? 200,
    openResult: o.openResult ?? "deferred",
    errors: o.errors ?? "plain",
    closeAfterBreak: o.closeAfterBreak ?? true,
    urcSpaces: o.urcSpaces ?? false,
    prompt: o.prompt ?? ">",
    persistSettings: o.persistSettings ?? false,
    dataTimeoutMs: o.dataTimeoutMs ?? 0,
    readQueueLimit: o.readQueueLimit ?? 32,
    connectTimeoutMs: o.connectTimeoutMs ?? 10000,
    maxLineLength: o.maxLineLength ?? 4096,
    publishData: o.publishData ?? "raw",
    readLayout: o.readLayout ?? "one-line",
    tlsField: o.tlsField ?? "none",
    mqttNeedsDataCall: o.mqttNeedsDataCall ?? false,
    imei: o.imei ?? "867959031234567",
    ip: o.ip ?? "10.2.83.148",
    operator: o.operator ?? "CHN-UNICOM",
    seed: o.seed ?? 1,
  };
}
