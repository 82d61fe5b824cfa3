import { AtEngine, type AtEngineOptions } from "cellmqtt/at/engine";
import { CellularModem, type ModemOptions } from "cellmqtt/modem/modem";
import { MqttClient, type ConnectOptions } from "cellmqtt/mqtt/client";
import { FakeClock } from "./fake-clock.ts";
import { FakeModem, seeded, type FakeModemOptions } from "./fake-modem.ts";

export interface RigOptions {
  fake?: FakeModemOptions;
  modem?: ModemOptions;
  engine?: Partial<AtEngineOptions>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/**
 * The firmware's MQTT stack (AtEngine + CellularModem + clients) on a fake clock, talking to a
 * scripted FakeModem. Client events are written down as text so runs can be compared.
 */
export class ModemRig {
  readonly clock = new FakeClock();
  readonly fake: FakeModem;
  readonly engine: AtEngine;
  readonly modem: CellularModem;
  readonly logs: string[] = [];
  /** Client events in order, as `<name> <event> <details>`. */
  readonly events: string[] = [];
  readonly errors: { name: string; code: string; message: string }[] = [];
  resets = 0;

  constructor(options: RigOptions = {}) {
    this.fake = new FakeModem(this.clock, options.fake);
    this.engine = new AtEngine({ tx: this.fake, clock: this.clock, ...options.engine });
    this.modem = new CellularModem(this.engine, this.clock, {
      random: seeded(7),
      log: (m) => this.logs.push(`${this.clock.now()} ${m}`),
      resetModem: () => {
        this.resets++;
      },
      ...options.modem,
    });
    this.fake.attach((b) => this.engine.receive(b));
  }

  /** A client on `options.slot`, recording its events under `name`. */
  client(options: ConnectOptions, name = options.slot === 2 ? "c2" : "c1"): MqttClient {
    const c = new MqttClient(this.modem, options);
    c.on("connect", () => this.events.push(`${name} connect`));
    c.on("reconnect", () => this.events.push(`${name} reconnect`));
    c.on("offline", (reason) => this.events.push(`${name} offline ${reason}`));
    c.on("close", () => this.events.push(`${name} close`));
    c.on("error", (e) => {
      const code = "code" in e ? String(e.code) : `validation ${e.field}`;
      this.errors.push({ name, code, message: e.message });
      this.events.push(`${name} error ${code}`);
    });
    c.on("message", (topic, payload, info) => this.events.push(`${name} message ${topic} ${hex(payload)} qos${info.qos} slot${info.slot}`));
    return c;
  }

  start(): void {
    this.modem.start();
  }

  run(ms: number): void {
    this.clock.advance(ms);
  }

  /** Advances in `step` ms steps until `done()` or `maxMs` passed; returns whether it held. */
  until(done: () => boolean, maxMs = 120_000, step = 5): boolean {
    for (let t = 0; t <= maxMs; t += step) {
      if (done()) return true;
      this.clock.advance(step);
    }
    return done();
  }

  /**
   * Starts the modem and a client on slot 1 and runs until connected and the read that follows
   * every connection (`AT+MQTTREAD` until the modem holds nothing) is done.
   */
  connected(options: Partial<ConnectOptions> = {}, name?: string): MqttClient {
    const c = this.client({ host: "broker.example", clientId: "dev1", ...options }, name);
    if (this.modem.link.state === 0) this.start();
    if (!this.until(() => c.connected && !this.modem.inbound.busy, 300_000)) throw new Error(`never connected; wire: ${this.fake.lines.join(" | ")}`);
    return c;
  }
}
