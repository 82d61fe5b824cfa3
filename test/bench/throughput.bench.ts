/**
 * Publish throughput against the line: QoS 0, 100-byte payloads, through the modem emulator at
 * 115200 baud, the emulator answering at once (latency 0). Prints figures; asserts nothing.
 *
 * What is measured: the device's transmit line (MCU -> modem). 115200 baud 8N1 carries at most
 * 11520 bytes/s. Both directions are paced: the emulator paces its own output (`baud`), and the
 * device's writes go through a pacing transmit port that releases bytes to the modem no faster
 * than the line could carry them. "Bytes on the wire per second" is what that port released per
 * second of the measuring window; utilisation is that over 11520, i.e. the fraction of the
 * window the device's transmit line was busy. Idle gaps come from waiting for the modem's
 * answers (`OK`, `>`), which travel the other direction at the same rate.
 *
 * Run: npm run bench:throughput [-- --seconds 5 --payload 100 --baud 115200]
 */
import { AtEngine } from "cellmqtt/at/engine";
import { CellularModem } from "cellmqtt/modem/modem";
import { connect } from "cellmqtt/mqtt/client";
import { NodeClock } from "../../hosts/node/clock.ts";
import { startEmbeddedBroker } from "../../hosts/node/broker.ts";
import { VirtualModem } from "../../hosts/emulator/index.ts";
import { PacedLine } from "./throughput-line.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SECONDS = arg("seconds", 5);
const PAYLOAD = arg("payload", 100);
const BAUD = arg("baud", 115200);
const QOS = arg("qos", 0) as 0 | 1;
const CAPACITY = BAUD / 10;

async function main(): Promise<void> {
  const broker = await startEmbeddedBroker();
  const vm = new VirtualModem({ broker: broker.url, baud: BAUD, latencyMs: 0 });
  const clock = new NodeClock();
  const line = new PacedLine(CAPACITY, (bytes) => vm.input(bytes));
  const engine = new AtEngine({ tx: line, clock });
  vm.on("output", (b) => engine.receive(b));
  const modem = new CellularModem(engine, clock, { outboxMessages: 16, outboxBytes: 4096 });
  vm.start();
  const client = connect(modem, { host: "127.0.0.1", clientId: "bench", reconnect: false });
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));

  const payload = new Uint8Array(PAYLOAD);
  for (let i = 0; i < PAYLOAD; i++) payload[i] = 0x41 + (i % 26); // printable: the quoted form
  let published = 0;
  let refused = 0;
  let statuses = 0;
  // Keep the outbox topped up: a new message whenever one leaves, so the line never waits on the app.
  const fill = (): void => {
    while (client.session.outbox.size < client.session.outbox.capacity) {
      if (!client.publish("bench/t", payload, { qos: QOS }, () => statuses++)) {
        refused++;
        break;
      }
      published++;
    }
  };
  client.on("error", () => {});
  const timer = setInterval(fill, 1);
  fill();
  // Warm-up, then the measuring window.
  await new Promise((r) => setTimeout(r, 500));
  const b0 = line.released;
  const busy0 = line.busyMs();
  const s0 = statuses;
  const cmd0 = vm.log.commands().length;
  const g0 = line.gaps;
  const gm0 = line.gapMs;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const t1 = performance.now();
  const bytes = line.released - b0;
  const busy = line.busyMs() - busy0;
  const msgs = statuses - s0;
  const commands = vm.log.commands().length - cmd0;
  const gaps = line.gaps - g0;
  const gapMs = line.gapMs - gm0;
  clearInterval(timer);
  const elapsed = (t1 - t0) / 1000;
  const sample = vm.log.commands().at(-1) ?? "";
  const perMessage = bytes / Math.max(1, commands);

  const rate = bytes / elapsed;
  const fmt = (n: number, d = 0): string => n.toFixed(d);
  console.log(`throughput: QoS ${QOS}, ${PAYLOAD}-byte payloads, ${BAUD} baud both ways, emulator latency 0, ${fmt(elapsed, 2)} s window`);
  console.log(`  command on the wire      ${sample.length + 1} bytes: ${sample.slice(0, 60)}${sample.length > 60 ? "..." : ""}`);
  console.log(`  device tx bytes/s        ${fmt(rate)}`);
  console.log(`  line capacity            ${fmt(CAPACITY)} B/s`);
  console.log(`  utilisation              ${fmt(rate / CAPACITY, 3)} (line busy ${fmt(busy / 10 / elapsed, 1)}% of the window)`);
  console.log(`  messages/s               ${fmt(msgs / elapsed, 1)} (commands/s ${fmt(commands / elapsed, 1)}, ${fmt(perMessage, 1)} wire bytes per message)`);
  console.log(`  payload bytes/s          ${fmt((msgs * PAYLOAD) / elapsed)}`);
  console.log(`  best possible messages/s ${fmt(CAPACITY / perMessage, 1)} (line full, no gaps)`);
  console.log(`  line idle gaps           ${gaps} (${fmt(gapMs / Math.max(1, gaps), 2)} ms each on average; the 6-byte OK alone takes ${fmt((6 * 1000) / CAPACITY, 2)} ms at line rate)`);
  console.log(`  published ${published}, refused (outbox full) ${refused}, engine timeouts ${engine.stats[5]}`);

  client.end();
  line.stop();
  clock.stop();
  await vm.close();
  await broker.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
