import { text } from "cellmqtt/at/bytes";
import type { AtEngine } from "cellmqtt/at/engine";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { PAYLOAD_MAX } from "cellmqtt/modem/limits";
import { CellularModem } from "cellmqtt/modem/modem";
import { connect, type MqttClient } from "cellmqtt/mqtt/client";
import { INTERVAL_MAX, INTERVAL_MIN, type AppSettings } from "./settings.ts";

/** What the application needs from the device it runs on (ESP32, simulator, Node). */
export interface Platform {
  engine: AtEngine;
  clock: Clock;
  log(line: string): void;
  /** Free system memory in bytes; 0 or less where the platform cannot tell (telemetry leaves it out). */
  freeHeap(): number;
  /**
   * Bytes the JavaScript engine's slot and chunk heaps hold, and the most of its stack used so
   * far (XS: the SDK's instrumentation); 0 or less for a figure the platform cannot tell.
   */
  engineHeap?(): { slots: number; chunks: number; stackPeak: number };
  /** Saves a setting so it survives a restart; absent where nothing persists. */
  save?(key: keyof AppSettings, value: string | number): void;
  /** Pulses the modem's reset or power key; absent when no pin is wired. */
  resetModem?(): void;
  /** What differs per device and per boot, to seed the reconnect jitter (see ModemOptions.seed). */
  seed?: string;
}

/** How long to wait for `+CSQ` before publishing telemetry without a fresh reading. */
const SIGNAL_WAIT_MS = 2000;
/** How long a clean stop waits for the broker to take the offline status before closing anyway. */
const STOP_WAIT_MS = 5000;

/**
 * The device's status on the response topic, retained: online once connected, offline as the
 * will (abnormal loss) and on a clean stop. `AT+MQTTWILL` takes a quoted payload only, so no `"`.
 */
export const ONLINE_STATUS = "online";
export const OFFLINE_STATUS = "offline";

/**
 * The firmware application: brings the modem up, connects, publishes telemetry (uptime, free
 * heap, signal quality from `AT+CSQ`) every interval, and obeys commands on the command topic:
 * `interval <ms>` (or `{"interval": ms}`), `ping`, `status`, `telemetry`. Replies go to the
 * response topic. Every recovery is the client's; the app only logs what happens.
 */
export class TelemetryApp {
  readonly modem: CellularModem;
  readonly client: MqttClient;
  private readonly timer: AlarmTimer;
  /** Publishes anyway if `+CSQ` does not come back in time. */
  private readonly signalTimer: AlarmTimer;
  private readonly startedAt: number;
  private sequence = 0;
  private waitingForSignal = false;

  constructor(
    private readonly platform: Platform,
    readonly settings: AppSettings,
  ) {
    const log = (line: string): void => platform.log(`app: ${line}`);
    this.startedAt = platform.clock.now();
    const resetModem = platform.resetModem;
    this.modem = new CellularModem(platform.engine, platform.clock, {
      network: { apn: settings.apn },
      log: platform.log,
      ...(resetModem ? { resetModem: () => resetModem() } : {}),
      ...(platform.seed !== undefined ? { seed: platform.seed } : {}),
    });
    this.timer = platform.clock.timer(() => this.tick());
    this.signalTimer = platform.clock.timer(() => {
      if (this.waitingForSignal) this.publishTelemetry();
    });
    this.modem.signalListener = () => {
      if (this.waitingForSignal) this.publishTelemetry();
    };
    this.client = connect(this.modem, {
      host: settings.mqttHost,
      port: settings.mqttPort,
      clientId: settings.mqttClientId,
      username: settings.mqttUser,
      password: settings.mqttPassword,
      keepalive: settings.mqttKeepalive,
      ...(settings.mqttTls >= 0 ? { tls: settings.mqttTls } : {}),
      will: { topic: settings.topicResponses, payload: OFFLINE_STATUS, qos: 1, retain: true },
    });
    const c = this.client;
    c.on("log", platform.log);
    c.on("connect", () => {
      log(`connected to ${settings.mqttHost}:${settings.mqttPort}`);
      c.subscribe(settings.topicCommands, { qos: 1 });
      c.publish(settings.topicResponses, ONLINE_STATUS, { qos: 1, retain: true });
      this.tick();
    });
    c.on("reconnect", () => log("reconnecting"));
    c.on("offline", (reason) => log(`offline: ${reason}`));
    c.on("close", () => log("closed"));
    c.on("error", (e) => {
      log(`error: ${e.message}`);
      // The app subscribes to its command topic alone, so a message too large to read was a command.
      if ("code" in e && e.code === "MESSAGE_TOO_LARGE") this.reply({ error: `command too large: at most ${PAYLOAD_MAX} bytes` });
    });
    c.on("message", (topic, payload) => {
      if (topic === settings.topicCommands) this.command(text(payload, 0, payload.length));
    });
  }

  get interval(): number {
    return this.settings.telemetryInterval;
  }

  /**
   * A clean stop: the will does not fire on one, so the offline status is published (retained,
   * QoS 1) and acknowledged before the connection closes; a broker that does not acknowledge it
   * within STOP_WAIT_MS does not hold the stop.
   */
  stop(done?: () => void): void {
    this.timer.cancel();
    this.signalTimer.cancel();
    const c = this.client;
    if (!c.connected) {
      c.end(done);
      return;
    }
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      guard.cancel();
      c.end(done);
    };
    const guard = this.platform.clock.timer(end);
    guard.schedule(STOP_WAIT_MS);
    if (!c.publish(this.settings.topicResponses, OFFLINE_STATUS, { qos: 1, retain: true }, end)) end();
  }

  /** Asks for a fresh signal reading, then publishes when it is in (or after a short wait). */
  private tick(): void {
    this.timer.schedule(this.settings.telemetryInterval);
    if (!this.client.connected) return;
    // Armed first: the reading can come back before requestSignal returns.
    this.waitingForSignal = true;
    this.signalTimer.schedule(SIGNAL_WAIT_MS);
    if (!this.modem.link.requestSignal()) this.publishTelemetry();
  }

  private publishTelemetry(): void {
    this.waitingForSignal = false;
    this.signalTimer.cancel();
    const link = this.modem.link;
    const free = this.platform.freeHeap();
    const engine = this.platform.engineHeap?.();
    // A figure the platform cannot tell is left out rather than reported as 0 or -1.
    const telemetry = {
      seq: ++this.sequence,
      uptime: Math.round((this.platform.clock.now() - this.startedAt) / 1000),
      ...(free > 0 ? { heap: free } : {}),
      ...(engine && engine.slots > 0 ? { slotHeap: engine.slots } : {}),
      ...(engine && engine.chunks > 0 ? { chunkHeap: engine.chunks } : {}),
      ...(engine && engine.stackPeak > 0 ? { stackPeak: engine.stackPeak } : {}),
      rssi: link.rssi,
      dbm: link.rssi >= 0 && link.rssi <= 31 ? -113 + 2 * link.rssi : null,
      ip: link.ip,
    };
    this.client.publish(this.settings.topicTelemetry, JSON.stringify(telemetry), { qos: 1 });
  }

  private command(text: string): void {
    const log = (line: string): void => this.platform.log(`app: ${line}`);
    const trimmed = text.trim();
    log(`command: ${trimmed}`);
    let verb = trimmed;
    let argument = "";
    if (trimmed.startsWith("{")) {
      try {
        const parsed = JSON.parse(trimmed) as Record<string, unknown>;
        if ("interval" in parsed) {
          verb = "interval";
          argument = String(parsed.interval);
        } else verb = String(parsed.command ?? "");
      } catch {
        return this.reply({ error: "command is not valid JSON" });
      }
    } else {
      const space = trimmed.indexOf(" ");
      if (space > 0) {
        verb = trimmed.slice(0, space);
        argument = trimmed.slice(space + 1).trim();
      }
    }
    switch (verb) {
      case "ping":
        return this.reply({ pong: this.sequence });
      case "status":
        return this.reply({
          state: this.client.session.stateName,
          network: this.modem.link.stateName,
          interval: this.settings.telemetryInterval,
          queued: this.client.session.outbox.live,
        });
      case "telemetry":
        this.tick();
        return;
      case "interval": {
        const ms = Number(argument);
        if (!Number.isInteger(ms) || ms < INTERVAL_MIN || ms > INTERVAL_MAX) {
          return this.reply({ error: `interval must be an integer from ${INTERVAL_MIN} to ${INTERVAL_MAX} ms, got ${quotedForReply(argument)}` });
        }
        this.settings.telemetryInterval = ms;
        this.platform.save?.("telemetryInterval", ms);
        this.timer.schedule(ms);
        log(`telemetry interval now ${ms} ms`);
        return this.reply({ interval: ms });
      }
      default:
        return this.reply({ error: `unknown command ${quotedForReply(verb)}; try ping, status, telemetry, interval <ms>` });
    }
  }

  private reply(body: Record<string, unknown>): void {
    this.client.publish(this.settings.topicResponses, JSON.stringify(body), { qos: 1 });
  }
}

/** Longest piece of a command echoed back in an error reply. */
const ECHO_MAX = 32;

/**
 * Part of a received command for an error reply: quoted if it is short printable ASCII, else
 * only its length, so no binary bytes or control characters go back out.
 */
function quotedForReply(s: string): string {
  return s.length <= ECHO_MAX && /^[\x20-\x7e]*$/.test(s) ? `"${s}"` : `(${s.length} characters, not shown)`;
}
