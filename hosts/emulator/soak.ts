/**
 * The soak: the whole firmware stack (MQTT client, sessions, AT engine) over the virtual modem,
 * bridged to an in-process broker, run for hours of simulated time through random faults of
 * every kind the emulator has. It counts what an application would notice: QoS 1 messages lost,
 * delivered wrong or twice, callbacks that never fire, command bytes the modem took as payload,
 * answers the firmware could not match, and how long each fault took to recover from.
 *
 * Time is a SimClock shared by firmware and emulator; the broker's side (aedes, and the `mqtt`
 * package in the emulator) runs on real asynchronous I/O, so after each step in which bytes went
 * toward the broker the driver lets the event loop run until the broker side is quiet.
 */
import { Aedes } from "aedes";
import { MqttClient as PeerClient } from "mqtt";
import { AtEngine } from "cellmqtt/at/engine";
import type { AlarmTimer, TxPort } from "cellmqtt/at/port";
import { STAT_FILLER_BYTES, STAT_RESYNCS, STAT_STALE_LINES, STAT_TIMEOUTS, STAT_UNMATCHED } from "cellmqtt/at/results";
import { CellularModem } from "cellmqtt/modem/modem";
import { MqttClient } from "cellmqtt/mqtt/client";
import { memoryPipe } from "./memory-pipe.ts";
import { VirtualModem } from "./modem.ts";
import type { PublishData } from "./options.ts";
import { Random } from "./random.ts";
import { SimClock } from "./sim-clock.ts";
import { FaultStorm } from "./soak-faults.ts";

export interface SoakOptions {
  /** Simulated hours of faults; a quiet drain follows (see drainMs). */
  hours: number;
  seed: number;
  /** How the length form of AT+MQTTPUB carries its data, on both sides (see PublishData). Default raw. */
  publishData?: PublishData;
  /** One QoS 1 message from the device this often (simulated ms). Default 10 s. */
  publishEveryMs?: number;
  /** One message from the other party to the device this often. Default 30 s. */
  inboundEveryMs?: number;
  /** Simulated time between faults, uniform in [min, max]. Default 40-160 s. */
  faultGapMs?: readonly [number, number];
  /** Fault-free time at the end for everything in flight to settle. Default 10 min. */
  drainMs?: number;
  /** Called with every firmware log line and fault, stamped with simulated time. */
  trace?: (line: string) => void;
}

export interface SoakReport {
  simulatedMs: number;
  wallMs: number;
  /** QoS 1 messages the client accepted. */
  published: number;
  /** Of those, refused up front (outbox full): the application knew at once. */
  refused: number;
  /** Received by the other party at least once. */
  delivered: number;
  /** Never received by the other party (the two kinds below). */
  lost: number;
  /** Of those, acknowledged to the application: lost silently. */
  lostAcknowledged: number;
  /** Of those, reported failed to the application (its callback had an error). */
  lostReported: number;
  /** A message of the application received altered: another payload or topic (either direction). */
  wrong: number;
  /** Messages the application never sent, published on its topic (e.g. filler the modem took as a payload). */
  spurious: number;
  /** Extra copies received (QoS 1 allows them). */
  duplicated: number;
  /** Publish callbacks that had not fired when the run ended. */
  neverFired: number;
  /** Publish callbacks that fired more than once. */
  firedTwice: number;
  /** Data-phase payloads that held command text: commands the modem consumed as payload. */
  commandsAsPayload: number;
  /** Data-phase payloads that were not a message of the application (and held no command). */
  junkPayloads: number;
  /** Final results the AT engine could not match to a command. */
  unmatched: number;
  /** The AT channel's other counters: lines of given-up commands, timeouts, resyncs, filler bytes. */
  channel: { stale: number; timeouts: number; resyncs: number; fillerBytes: number };
  /** Messages the other party sent the device, and how many arrived. */
  inboundSent: number;
  inboundReceived: number;
  /** Seconds from a fault to the first acknowledged publish made after it. */
  recovery: { count: number; unrecovered: number; medianS: number; p99S: number; maxS: number };
  faults: Record<string, number>;
}

/** UART transit time each way. */
const WIRE_MS = 1;
const UP = "soak/up";
const DOWN = "soak/down";

/** The UART between the firmware's engine and the modem, with a transit delay on the clock. */
class SimUart implements TxPort {
  private readonly toModem: Uint8Array[] = [];
  private readonly toHost: Uint8Array[] = [];
  private readonly modemTimer: AlarmTimer;
  private readonly hostTimer: AlarmTimer;
  engine: AtEngine | undefined;

  constructor(clock: SimClock, vm: VirtualModem) {
    this.modemTimer = clock.timer(() => {
      for (const chunk of this.toModem.splice(0)) vm.input(chunk);
    });
    this.hostTimer = clock.timer(() => {
      for (const chunk of this.toHost.splice(0)) this.engine?.receive(chunk);
    });
    vm.on("output", (bytes) => {
      if (this.toHost.length === 0) this.hostTimer.schedule(WIRE_MS);
      this.toHost.push(Uint8Array.from(bytes));
    });
  }

  write(bytes: Uint8Array, offset: number, length: number): void {
    if (this.toModem.length === 0) this.modemTimer.schedule(WIRE_MS);
    this.toModem.push(bytes.slice(offset, offset + length));
  }
}

interface Sent {
  payload: Buffer;
  at: number;
  fired: number;
  ok: boolean;
  received: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Waits for the event loop to go quiet: no byte moved toward or from the broker for a turn. */
async function settle(activity: () => number): Promise<void> {
  let quiet = 0;
  while (quiet < 1) {
    const before = activity();
    await new Promise<void>((resolve) => setImmediate(resolve));
    quiet = activity() === before ? quiet + 1 : 0;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const t0 = performance.now();
  const publishEvery = options.publishEveryMs ?? 10_000;
  const inboundEvery = options.inboundEveryMs ?? 30_000;
  const drainMs = options.drainMs ?? 600_000;
  const faultEnd = options.hours * 3_600_000;
  const end = faultEnd + drainMs;
  const random = new Random(options.seed);
  const clock = new SimClock();
  const trace = options.trace ?? (() => {});
  const stamp = (line: string): void => trace(`${(clock.now() / 1000).toFixed(3)} ${line}`);

  let activity = 0;
  const bump = (): void => {
    activity++;
  };
  const aedes = await Aedes.createBroker();
  const connectToBroker = (): ReturnType<typeof memoryPipe>["a"] => {
    const pipe = memoryPipe(bump);
    aedes.handle(pipe.b);
    bump();
    return pipe.a;
  };

  const vm = new VirtualModem({
    clock,
    brokerStream: connectToBroker,
    baud: 115200,
    latencyMs: [5, 60],
    rebootDelayMs: 3000,
    seed: options.seed,
    publishData: options.publishData ?? "raw",
  });
  const uart = new SimUart(clock, vm);
  const engine = new AtEngine({ tx: uart, clock });
  uart.engine = engine;
  const prng = new Random(options.seed ^ 0x5eed);
  const modem = new CellularModem(engine, clock, {
    publishData: options.publishData ?? "raw",
    random: () => prng.next(),
    log: (m) => stamp(m),
    resetModem: () => {
      stamp("reset line pulsed");
      vm.inject({ name: "reboot" });
    },
  });
  const client = new MqttClient(modem, {
    host: "broker.soak",
    clientId: "soak-device",
    keepalive: 60,
    reconnectPeriod: 1000,
    reconnectMaxPeriod: 30_000,
    will: { topic: "soak/will", payload: "offline", qos: 1 },
  });
  client.on("log", (line) => stamp(line));
  client.on("error", (e) => stamp(`client error: ${e.message}`));

  // The other party: subscribes to the device's messages and sends it some.
  const peer = new PeerClient(() => connectToBroker(), { clientId: "soak-peer", protocolVersion: 4, reconnectPeriod: 0, keepalive: 0 });
  await new Promise<void>((resolve, reject) => {
    peer.once("connect", () => resolve());
    peer.once("error", reject);
  });
  await new Promise<void>((resolve, reject) => peer.subscribe(UP, { qos: 1 }, (err) => (err ? reject(err) : resolve())));

  const sent = new Map<number, Sent>();
  const appPayloads = new Set<string>();
  const report: SoakReport = {
    simulatedMs: 0,
    wallMs: 0,
    published: 0,
    refused: 0,
    delivered: 0,
    lost: 0,
    lostAcknowledged: 0,
    lostReported: 0,
    wrong: 0,
    spurious: 0,
    duplicated: 0,
    neverFired: 0,
    firedTwice: 0,
    commandsAsPayload: 0,
    junkPayloads: 0,
    unmatched: 0,
    channel: { stale: 0, timeouts: 0, resyncs: 0, fillerBytes: 0 },
    inboundSent: 0,
    inboundReceived: 0,
    recovery: { count: 0, unrecovered: 0, medianS: 0, p99S: 0, maxS: 0 },
    faults: {},
  };

  peer.on("message", (topic, payload) => {
    if (topic !== UP) return;
    const seq = Number(/^m(\d+):/.exec(payload.toString("latin1"))?.[1] ?? -1);
    const entry = sent.get(seq);
    const text = JSON.stringify(payload.toString("latin1").slice(0, 60));
    if (!entry) {
      report.spurious++;
      stamp(`SPURIOUS message at the other party: ${text}`);
    } else if (!entry.payload.equals(payload)) {
      report.wrong++;
      stamp(`WRONG message at the other party: ${text}`);
    } else {
      entry.received++;
    }
  });

  const inbound = new Map<string, number>();
  client.subscribe(DOWN, { qos: 1 });
  client.on("message", (topic, payload) => {
    const text = Buffer.from(payload).toString("latin1");
    if (topic === DOWN && inbound.has(text)) {
      inbound.set(text, inbound.get(text)! + 1);
      return;
    }
    // The other party's messages are numbered: a known number with other bytes is one altered.
    const known = /^d\d+:/.exec(text)?.[0];
    const altered = known !== undefined && [...inbound.keys()].some((k) => k.startsWith(known));
    if (altered) report.wrong++;
    else report.spurious++;
    stamp(`${altered ? "WRONG" : "SPURIOUS"} message at the device on ${topic}: ${JSON.stringify(text.slice(0, 60))}`);
  });

  vm.on("payload", (p) => {
    const wire = Buffer.from(p.bytes);
    // In the hex reading the wire holds two digits a byte; a payload that is not hex text is
    // refused by the modem, so it is judged as the bytes that went over the wire.
    const hexText = options.publishData === "hex" && /^(?:[0-9A-Fa-f]{2})+$/.test(wire.toString("latin1"));
    const bytes = hexText ? Buffer.from(wire.toString("latin1"), "hex") : wire;
    if (appPayloads.has(bytes.toString("latin1"))) return;
    if (/AT[+&A-Z]?/i.test(bytes.toString("latin1"))) report.commandsAsPayload++;
    else report.junkPayloads++;
    stamp(`PAYLOAD not from the application (${p.earlyBytes} bytes before the prompt): ${JSON.stringify(bytes.toString("latin1").slice(0, 60))}`);
  });

  // Recovery: from each fault to the first acknowledged publish made at or after it.
  const openFaults: number[] = [];
  const recoveries: number[] = [];

  let seq = 0;
  // Traffic goes on into the drain, so the last faults have a publish to recover by, and stops
  // halfway through it, so the last messages have time to settle.
  const publishEnd = faultEnd + drainMs / 2;
  const publishTimer = clock.timer(() => {
    if (clock.now() < publishEnd) {
      publishOne();
      publishTimer.schedule(publishEvery);
    }
  });
  const publishOne = (): void => {
    const n = seq++;
    const filler = Buffer.alloc(random.int(0, 120));
    for (let i = 0; i < filler.length; i++) filler[i] = random.int(0, 255);
    const payload = Buffer.concat([Buffer.from(`m${n}:`, "latin1"), filler]);
    const entry: Sent = { payload, at: clock.now(), fired: 0, ok: false, received: 0 };
    appPayloads.add(payload.toString("latin1"));
    const accepted = client.publish(UP, new Uint8Array(payload), { qos: 1 }, (err) => {
      entry.fired++;
      entry.ok = !err;
      if (err || entry.fired > 1) return;
      for (let i = openFaults.length - 1; i >= 0; i--) {
        if (openFaults[i]! > entry.at) continue;
        recoveries.push(clock.now() - openFaults[i]!);
        openFaults.splice(i, 1);
      }
    });
    if (accepted) sent.set(n, entry);
    else report.refused++;
  };

  let inboundSeq = 0;
  const inboundTimer = clock.timer(() => {
    if (clock.now() >= publishEnd) return;
    const text = `d${inboundSeq++}:${"x".repeat(random.int(0, 200))}`;
    inbound.set(text, 0);
    peer.publish(DOWN, Buffer.from(text, "latin1"), { qos: 1 });
    inboundTimer.schedule(inboundEvery);
  });

  const storm = new FaultStorm(vm, clock, random, options.faultGapMs ?? [40_000, 160_000], (name) => {
    report.faults[name] = (report.faults[name] ?? 0) + 1;
    openFaults.push(clock.now());
    stamp(`FAULT ${name}`);
  });

  vm.start();
  modem.start();
  publishTimer.schedule(60_000);
  inboundTimer.schedule(65_000);
  storm.start(120_000, faultEnd);

  let steps = 0;
  while (clock.now() < end) {
    // The `mqtt` package writes from process.nextTick, so every step gives the event loop a turn.
    await settle(() => activity);
    const due = clock.nextDue();
    clock.advance(due < 0 ? 1000 : Math.min(due, 1000));
    steps++;
  }
  stamp(`${steps} steps`);

  for (const entry of sent.values()) {
    report.published++;
    if (entry.received > 0) report.delivered++;
    report.duplicated += Math.max(0, entry.received - 1);
    if (entry.fired === 0) report.neverFired++;
    if (entry.fired > 1) report.firedTwice++;
    if (entry.received === 0) {
      report.lost++;
      if (entry.fired > 0 && entry.ok) report.lostAcknowledged++;
      if (entry.fired > 0 && !entry.ok) report.lostReported++;
    }
  }
  report.inboundSent = inbound.size;
  report.inboundReceived = [...inbound.values()].filter((n) => n > 0).length;
  report.unmatched = engine.stats[STAT_UNMATCHED]!;
  report.channel = {
    stale: engine.stats[STAT_STALE_LINES]!,
    timeouts: engine.stats[STAT_TIMEOUTS]!,
    resyncs: engine.stats[STAT_RESYNCS]!,
    fillerBytes: engine.stats[STAT_FILLER_BYTES]!,
  };
  const sorted = recoveries.sort((a, b) => a - b);
  report.recovery = {
    count: sorted.length,
    unrecovered: openFaults.length,
    medianS: percentile(sorted, 50) / 1000,
    p99S: percentile(sorted, 99) / 1000,
    maxS: (sorted.at(-1) ?? 0) / 1000,
  };
  report.simulatedMs = clock.now();

  peer.end(true);
  await vm.close();
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  report.wallMs = performance.now() - t0;
  return report;
}

/** The zeros the soak requires, each with the figure that broke it. */
export function soakFailures(r: SoakReport): string[] {
  const checks: [string, number][] = [
    ["lost", r.lost],
    ["delivered wrong", r.wrong],
    ["messages the application never sent", r.spurious],
    ["callbacks that never fired", r.neverFired],
    ["callbacks that fired twice", r.firedTwice],
    ["commands consumed as payload", r.commandsAsPayload],
  ];
  return checks.filter(([, n]) => n !== 0).map(([name, n]) => `${name}: ${n}`);
}

export function formatReport(r: SoakReport, hours: number, seed: number, publishData: PublishData = "raw"): string {
  const row = (name: string, value: string | number): string => `  ${name.padEnd(34)}${value}`;
  const faults = Object.entries(r.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
  return [
    `soak: ${hours} simulated hours + ${((r.simulatedMs - hours * 3_600_000) / 60_000).toFixed(0)} min drain, seed ${seed}, ${publishData} publish data, ${(r.wallMs / 1000).toFixed(1)} s wall time`,
    row("QoS 1 messages published", r.published),
    row("  refused up front (outbox full)", r.refused),
    row("  delivered", r.delivered),
    row("  lost", r.lost),
    row("    acknowledged to the app", r.lostAcknowledged),
    row("    reported failed to the app", r.lostReported),
    row("  delivered wrong", r.wrong),
    row("  duplicated", r.duplicated),
    row("messages the app never sent", r.spurious),
    row("callbacks that never fired", r.neverFired),
    row("callbacks that fired twice", r.firedTwice),
    row("commands consumed as payload", r.commandsAsPayload),
    row("other junk published as payload", r.junkPayloads),
    row("unmatched results", r.unmatched),
    row(
      "AT channel",
      `${r.channel.timeouts} timeouts, ${r.channel.resyncs} resyncs, ${r.channel.stale} stale lines, ${r.channel.fillerBytes} filler bytes`,
    ),
    row("messages to the device", `${r.inboundReceived} of ${r.inboundSent} arrived`),
    row(
      "recovery time",
      `median ${r.recovery.medianS.toFixed(1)} s, p99 ${r.recovery.p99S.toFixed(1)} s, max ${r.recovery.maxS.toFixed(1)} s (${r.recovery.count} faults, ${r.recovery.unrecovered} never recovered)`,
    ),
    row("faults", faults),
  ].join("\n");
}
