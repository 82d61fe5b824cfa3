/**
 * The whole chain of an end-to-end test: the firmware logic (CellularModem + MqttClient) over a
 * StreamUart, the virtual modem at the other end of the stream, a real broker behind it, and a
 * separate `mqtt` client as the other party.
 */
import mqtt, { type MqttClient as PeerClient } from "mqtt";
import { CellularModem, type ModemOptions } from "cellmqtt/modem/modem";
import { connect, type ConnectOptions, type MqttClient } from "cellmqtt/mqtt/client";
import { MqttError } from "cellmqtt/modem/errors";
import { StreamUart } from "../../hosts/node/stream-uart.ts";
import { VirtualModem, createModemStream, type VirtualModemOptions } from "../../hosts/emulator/index.ts";

export interface RigOptions {
  brokerUrl: string;
  port: number;
  modem?: VirtualModemOptions;
  client?: Partial<ConnectOptions>;
  cellular?: ModemOptions;
  /** Print the firmware's log lines as they come (debugging). */
  verbose?: boolean;
}

export interface Received {
  topic: string;
  payload: Buffer;
  qos: number;
}

/** Small periods everywhere, so faults recover in well under a second or two. */
export const FAST_CLIENT: Partial<ConnectOptions> = {
  reconnectPeriod: 200,
  reconnectMaxPeriod: 2000,
  connectTimeout: 5000,
  commandTimeout: 1500,
  statusTimeout: 2000,
  keepalive: 30,
};

export class Rig {
  readonly vm: VirtualModem;
  readonly uart: StreamUart;
  readonly modem: CellularModem;
  readonly client: MqttClient;
  readonly logs: string[] = [];
  readonly errors: (Error & { code?: string })[] = [];
  readonly received: Received[] = [];
  readonly events: { name: string; at: number }[] = [];
  /** Everything the modem wrote toward the device, as latin1 text. */
  modemOut = "";
  private readonly t0 = performance.now();

  constructor(readonly options: RigOptions, clientId: string) {
    this.vm = new VirtualModem({ broker: options.brokerUrl, latencyMs: [1, 5], rebootDelayMs: 100, ...options.modem });
    this.uart = new StreamUart(createModemStream(this.vm));
    this.modem = new CellularModem(this.uart.engine, this.uart.clock, {
      network: { pollMs: 200 },
      random: seeded(7),
      ...options.cellular,
      log: (m) => {
        this.logs.push(m);
        if (options.verbose) console.log(`${this.now().toFixed(0)} ${m}`);
      },
    });
    this.vm.on("output", (b) => (this.modemOut += Buffer.from(b).toString("latin1")));
    this.vm.start();
    this.client = connect(this.modem, { host: "127.0.0.1", port: options.port, clientId, ...FAST_CLIENT, ...options.client });
    for (const name of ["connect", "reconnect", "close"] as const) this.client.on(name, () => this.mark(name));
    this.client.on("log", (line) => {
      this.logs.push(line);
      if (options.verbose) console.log(`${this.now().toFixed(0)} ${line}`);
    });
    this.client.on("offline", (reason) => this.mark(`offline: ${reason}`));
    this.client.on("error", (e) => {
      this.errors.push(e as Error & { code?: string });
      this.mark(`error: ${e instanceof MqttError ? e.code : e.message}`);
    });
    this.client.on("message", (topic, payload, info) => this.received.push({ topic, payload: Buffer.from(payload), qos: info.qos }));
  }

  now(): number {
    return performance.now() - this.t0;
  }

  count(name: string): number {
    return this.events.filter((e) => e.name === name).length;
  }

  /** Time of the `n`-th event called `name` (1-based), or -1. */
  eventTime(name: string, n = 1): number {
    return this.events.filter((e) => e.name === name)[n - 1]?.at ?? -1;
  }

  /** How many times the modem has written `text` toward the device. */
  outputCount(text: string): number {
    return this.modemOut.split(text).length - 1;
  }

  /** The commands the modem executed, from its log. */
  commands(): string[] {
    return this.vm.log.commands();
  }

  /** Resolves when the client has emitted `connect` `n` times in all. */
  async connected(n = 1, timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.count("connect") >= n, timeoutMs, () => `connect #${n}; ${this.describe()}`);
  }

  /** Subscribes and waits for the modem's `+MQTTSUB` status. */
  async subscribe(topic: string, qos: 0 | 1 | 2 = 1): Promise<void> {
    await new Promise<void>((resolve, reject) => this.client.subscribe(topic, { qos }, (err) => (err ? reject(err) : resolve())));
  }

  /** The outbox is empty and the AT engine has no command queued or in flight. */
  get idle(): boolean {
    return (
      this.client.session.outbox.size === 0 &&
      this.modem.engine.queued === 0 &&
      !this.modem.engine.busy &&
      this.modem.inbound.pending[1] === 0 &&
      this.modem.inbound.pending[2] === 0
    );
  }

  memory(): string {
    const e = this.modem.engine;
    return `outbox ${this.client.session.outbox.size}, engine queued ${e.queued}, busy ${e.busy}, reads pending ${this.modem.inbound.pending[1]}/${this.modem.inbound.pending[2]}, modem read queue ${this.vm.state.slots[0].queue.length}`;
  }

  describe(): string {
    return `events ${JSON.stringify(this.events.map((e) => `${e.at.toFixed(0)} ${e.name}`))}; last log lines ${JSON.stringify(this.logs.slice(-15))}`;
  }

  async close(): Promise<void> {
    this.uart.close();
    this.modem.link.stop();
    await this.vm.close();
  }

  private mark(name: string): void {
    this.events.push({ name, at: this.now() });
    if (this.options.verbose) console.log(`${this.now().toFixed(0)} EVENT ${name}`);
  }
}

/** A separate MQTT client: the other party of every exchange. */
export async function peer(url: string, clientId: string, extra: mqtt.IClientOptions = {}): Promise<PeerClient> {
  return mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, ...extra });
}

/** Messages a peer receives, by topic. */
export function collect(client: PeerClient): Received[] {
  const got: Received[] = [];
  client.on("message", (topic, payload, packet) => got.push({ topic, payload: Buffer.from(payload), qos: packet.qos }));
  return got;
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: () => string = () => "condition"): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A small deterministic PRNG for the reconnect jitter. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Bytes 0..255 repeated to `length` (every byte value present when length >= 256), rotated by `shift`. */
export function allBytes(length: number, shift = 0): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (i + shift) & 255;
  return b;
}
