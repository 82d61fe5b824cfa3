/**
 * Publish throughput against a modelled line, in simulated time: the same measurement as
 * `throughput.bench.ts` (QoS 0, 100-byte payloads, 115200 baud 8N1 both ways, a modem that
 * answers at once), but every byte takes exactly 1/11520 s on the wire and nothing else takes
 * time, so no timer granularity of the host blurs the figure. What remains is the protocol's own
 * wait (one command in flight: the next one goes after the previous one's `OK` has crossed the
 * line) and the firmware's. Prints figures; asserts nothing.
 *
 * Run: npm run bench:throughput-model [-- --seconds 10 --payload 100 --baud 115200 --qos 0]
 */
import { AtEngine } from "cellmqtt/at/engine";
import type { TxPort } from "cellmqtt/at/port";
import { CellularModem } from "cellmqtt/modem/modem";
import { connect } from "cellmqtt/mqtt/client";
import { FakeClock } from "../support/fake-clock.ts";
import { FakeModem } from "../support/fake-modem.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SECONDS = arg("seconds", 10);
const PAYLOAD = arg("payload", 100);
const BAUD = arg("baud", 115200);
const QOS = arg("qos", 0) as 0 | 1;
const BYTES_PER_MS = BAUD / 10 / 1000;

/** Events at exact simulated times, on one fake-clock timer. */
class Events {
  private readonly queue: { at: number; run: () => void }[] = [];
  private readonly timer;
  constructor(private readonly clock: FakeClock) {
    this.timer = clock.timer(() => this.due());
  }
  at(time: number, run: () => void): void {
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > time) i--;
    this.queue.splice(i, 0, { at: time, run });
    this.timer.schedule(this.queue[0]!.at - this.clock.now());
  }
  private due(): void {
    const now = this.clock.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) this.queue.shift()!.run();
    if (this.queue.length > 0) this.timer.schedule(this.queue[0]!.at - now);
  }
}

/** One direction of the UART: bytes arrive at the far end when the line has carried them. */
class Line {
  private freeAt = 0;
  busyMs = 0;
  bytes = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly events: Events,
    private readonly deliver: (bytes: Uint8Array) => void,
  ) {}
  send(bytes: Uint8Array): void {
    const ms = bytes.length / BYTES_PER_MS;
    const start = Math.max(this.clock.now(), this.freeAt);
    this.freeAt = start + ms;
    this.busyMs += ms;
    this.bytes += bytes.length;
    // Byte by byte, so the modem sees a command's CR the moment it has crossed the line.
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.subarray(i, i + 1);
      this.events.at(start + (i + 1) / BYTES_PER_MS, () => this.deliver(b));
    }
  }
}

const clock = new FakeClock();
const events = new Events(clock);
const fake = new FakeModem(clock, { latency: { reply: 0, open: 0, status: 0, call: 0, boot: 0 }, echo: false });
const toModem = new Line(clock, events, (b) => fake.write(b, 0, b.length));
const tx: TxPort = { write: (bytes, offset, length) => toModem.send(bytes.slice(offset, offset + length)) };
const engine = new AtEngine({ tx, clock });
const toDevice = new Line(clock, events, (b) => engine.receive(b));
fake.attach((b) => toDevice.send(b));
const modem = new CellularModem(engine, clock);
const client = connect(modem, { host: "broker.example", clientId: "bench", reconnect: false });
for (let t = 0; t < 60_000 && !client.connected; t += 10) clock.advance(10);
if (!client.connected) throw new Error("the modelled modem never connected");

const payload = new Uint8Array(PAYLOAD);
for (let i = 0; i < PAYLOAD; i++) payload[i] = 0x41 + (i % 26);
let done = 0;
const options = { qos: QOS };
const fill = (): void => {
  while (client.session.outbox.size < client.session.outbox.capacity && client.publish("bench/t", payload, options, () => done++));
};
client.on("error", () => {});
fill();
clock.advance(500); // warm-up
const busy0 = toModem.busyMs;
const bytes0 = toModem.bytes;
const done0 = done;
const windowMs = SECONDS * 1000;
for (let t = 0; t < windowMs; t += 1) {
  fill();
  clock.advance(1);
}
const busy = toModem.busyMs - busy0;
const bytes = toModem.bytes - bytes0;
const messages = done - done0;
const perMessage = bytes / Math.max(1, messages);
const capacity = BAUD / 10;
console.log(`modelled line: QoS ${QOS}, ${PAYLOAD}-byte payloads, ${BAUD} baud both ways, modem answering at once, ${SECONDS} s simulated`);
console.log(`  device tx bytes/s        ${(bytes / SECONDS).toFixed(0)} of ${capacity} B/s`);
console.log(`  utilisation              ${(busy / windowMs).toFixed(3)}`);
console.log(`  messages/s               ${(messages / SECONDS).toFixed(1)} (${perMessage.toFixed(1)} wire bytes per message; a full line would carry ${(capacity / perMessage).toFixed(1)})`);
// `\r\nOK\r` is enough: the scanner ends a line at its CR, so the LF after it costs no wait.
console.log(`  protocol bound           ${(perMessage / (perMessage + 5)).toFixed(3)} (the next command waits for "\\r\\nOK\\r" to cross the line)`);
