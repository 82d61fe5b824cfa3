/**
 * Test harness: an in-process aedes broker on a free loopback port and a virtual modem driven with
 * raw AT bytes, with helpers that wait for output patterns instead of sleeping.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { VirtualModem } from "../../hosts/emulator/index.ts";
import type { VirtualModemOptions } from "../../hosts/emulator/index.ts";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/broker.ts";

export type Broker = EmbeddedBroker;

/** The host's embedded broker (aedes on a free loopback port). */
export const startBroker = startEmbeddedBroker;

/** A modem plus everything it has written toward the device, as latin1 text. */
export class Device {
  readonly modem: VirtualModem;
  out = "";
  chunks: Uint8Array[] = [];
  private waiters: (() => void)[] = [];

  constructor(options: VirtualModemOptions) {
    this.modem = new VirtualModem({ latencyMs: [1, 5], ...options });
    this.modem.on("output", (b) => {
      this.chunks.push(b);
      this.out += Buffer.from(b).toString("latin1");
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async boot(options: VirtualModemOptions): Promise<Device> {
    const d = new Device(options);
    d.modem.start();
    await d.waitFor("\r\nRDY\r\n");
    d.take();
    return d;
  }

  send(text: string | Uint8Array): void {
    this.modem.input(text);
  }

  /** Resolves with the output so far once it contains `pattern` (from the start of `out`). */
  async waitFor(pattern: string | RegExp, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = typeof pattern === "string" ? this.out.includes(pattern) : pattern.test(this.out);
      if (hit) return this.out;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pattern)}; output: ${JSON.stringify(this.out)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Returns and clears the output collected so far. */
  take(): string {
    const s = this.out;
    this.out = "";
    return s;
  }

  /** Sends a command line (CR-terminated) and waits for a final result; returns the response. */
  async at(command: string, final: RegExp = /\r\n(OK|ERROR(: \d+)?|\+CME ERROR: \d+)\r\n$/): Promise<string> {
    this.take();
    this.send(`${command}\r`);
    await this.waitFor(final);
    return this.take();
  }

  /** Brings echo off, the data call up and client `id` connected. */
  async connect(id = 1, extra = ""): Promise<void> {
    await this.at("ATE0");
    await this.at("AT+MIPCALL=1");
    await this.waitFor(/\+MIPCALL: [\d.]+\r\n/);
    this.take();
    const r = await this.at(`AT+MQTTOPEN=${id},"broker.example",1883,1,60${extra}`);
    if (!r.includes("OK")) throw new Error(`open failed: ${JSON.stringify(r)}`);
    await this.waitFor(`+MQTTOPEN: ${id},1`);
    this.take();
  }

  close(): Promise<void> {
    return this.modem.close();
  }
}

export async function peer(url: string, clientId = `peer-${Math.random().toString(16).slice(2)}`): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The hooks every emulator test file needs: one broker for the file, and every device a test
 * boots through `boot` closed after that test.
 */
export function emulatorSuite(): { readonly broker: Broker; boot(options: VirtualModemOptions): Promise<Device> } {
  let broker: Broker | undefined;
  const booted: Device[] = [];
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });
  afterEach(async () => {
    for (const d of booted.splice(0)) await d.close();
  });
  return {
    get broker(): Broker {
      if (!broker) throw new Error("the broker starts in beforeAll");
      return broker;
    },
    async boot(options: VirtualModemOptions): Promise<Device> {
      const d = await Device.boot(options);
      booted.push(d);
      return d;
    },
  };
}
