/**
 * Every emulator fault, end to end: firmware (CellularModem + MqttClient) over StreamUart, the
 * virtual modem, a real mosquitto, and a separate `mqtt` client as the other party.
 *
 * For each fault: the client recovers within the bound stated in the table; QoS 1 messages the
 * device publishes during the outage all reach the peer (none lost; duplicates allowed and
 * counted); the subscription is restored (a message the peer sends after recovery arrives);
 * memory is bounded (outbox empty, AT engine queue empty, no announced message left unread).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MqttClient as PeerClient } from "mqtt";
import type { Fault } from "../../hosts/emulator/index.ts";
import { startMosquitto, type Mosquitto } from "./mosquitto.ts";
import { Rig, collect, peer, sleep, waitFor, type Received } from "./rig.ts";

/** Messages the device publishes while the fault is in effect. */
const DURING = 8;

let broker: Mosquitto;
let other: PeerClient;
let seen: Received[];
const summary: string[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  other = await peer(broker.url, "e2e-faults-peer");
  seen = collect(other);
  await other.subscribeAsync(["up/#", "will/#"], { qos: 1 });
});

afterAll(async () => {
  await other?.endAsync(true);
  await broker?.stop();
  if (summary.length > 0) console.log(["fault                recovery  published  received  duplicates", ...summary].join("\n"));
});

interface Scenario {
  name: string;
  /** Faults injected at the start of the outage. */
  faults: Fault[];
  /** Injected this long after the first ones, if given (the network comes back). */
  restore?: { afterMs: number; faults: Fault[] };
  /** Whether the MQTT connection breaks (a second `connect` follows). */
  breaks: boolean;
  /** Recovery bound in ms, from the last fault injected (see the table in the README of this folder). */
  boundMs: number;
  /** Extra wait before publishing the outage messages. */
  publishAfterMs?: number;
  /** Faults that end the condition once the test is done with it. */
  after?: Fault[];
  /** An error the client must report (its code and a piece of its message). */
  reports?: { code: string; text: string };
}

const scenarios: Scenario[] = [
  // Reconnect delay 200 ms (first attempt), then AT+MQTTOPEN? / USER / WILL / OPEN.
  { name: "broker-drop", faults: [{ name: "broker-drop", clientId: 1 }], breaks: true, boundMs: 1500 },
  // Registration polled every 200 ms; after restore: CEREG, COPS, MIPCALL?, MIPCALL=1, then the reconnect delay.
  { name: "radio-lost", faults: [{ name: "radio-lost" }], restore: { afterMs: 600, faults: [{ name: "restore" }] }, breaks: true, boundMs: 2500 },
  { name: "deregistered", faults: [{ name: "deregistered" }], restore: { afterMs: 600, faults: [{ name: "restore" }] }, breaks: true, boundMs: 2500 },
  { name: "mipcall-lost", faults: [{ name: "mipcall-lost" }], breaks: true, boundMs: 2500 },
  // RDY after 100 ms, then the whole bring-up from AT / ATE0.
  { name: "reboot", faults: [{ name: "reboot" }], breaks: true, boundMs: 2500 },
  // The link stays up; commands sent into the silence time out (1500 ms) and are retried.
  { name: "silence", faults: [{ name: "silence", seconds: 1 }], breaks: false, boundMs: 1000 + 2 * 1500 + 1000 },
  { name: "garbage", faults: [{ name: "garbage", bytes: 200 }, { name: "garbage" }, { name: "garbage", bytes: 1 }], breaks: false, boundMs: 1500 },
  { name: "split-writes", faults: [{ name: "split-writes", on: true }], breaks: false, boundMs: 2000, after: [{ name: "split-writes", on: false }] },
  // 9600 baud: about 960 bytes/s toward the device.
  { name: "slow-line", faults: [{ name: "slow-line", baud: 9600 }], breaks: false, boundMs: 3000, after: [{ name: "slow-line", baud: 0 }] },
  // Answers held for 3 s, then released at once: the commands in flight time out (1500 ms), the
  // late answers must end nothing, the channel resyncs and the messages go out.
  { name: "stall", faults: [{ name: "stall", seconds: 3 }], breaks: false, boundMs: 3000 + 2 * 1500 + 2000 },
  // A publish status repeated: the copy is ignored, it settles nothing else.
  { name: "dup-pub-status", faults: [{ name: "dup-urc", urc: "+MQTTPUB", count: 4 }], breaks: false, boundMs: 1500 },
  // The prompt 1 s late, inside the command timeout.
  { name: "late-prompt", faults: [{ name: "late-prompt", ms: 1000 }], breaks: false, boundMs: 1000 + 1500 },
  // A publish status lost: the message is sent again after its status timeout (a duplicate is allowed).
  { name: "lost-pub-status", faults: [{ name: "lose-urc", urc: "+MQTTPUB" }], breaks: false, boundMs: 2000 + 2000 },
  // Losses nobody reports: found by the ERROR to the next publish, and the link check that follows.
  { name: "broker-drop-silent", faults: [{ name: "broker-drop-silent", clientId: 1 }], breaks: true, boundMs: 5000 },
  { name: "mipcall-lost-silent", faults: [{ name: "mipcall-lost-silent" }], breaks: true, boundMs: 5000 },
  // The modem restarts without RDY: echo is back on, the state is gone.
  { name: "reboot-silent", faults: [{ name: "reboot-silent" }], breaks: true, boundMs: 5000 },
  // A 6,000-byte message, longer than the device's buffers, arrives in mode 1: it is read past by
  // its length and reported, and the conversation goes on.
  {
    name: "oversized",
    faults: [{ name: "oversized", bytes: 6000 }],
    breaks: false,
    boundMs: 1500,
    reports: { code: "MESSAGE_TOO_LARGE", text: 'on "down/f-oversized" of 6000 bytes' },
  },
  // The data call drops and the modem refuses MQTT commands until it is dialled again.
  { name: "mqtt-needs-data-call", faults: [{ name: "mqtt-needs-data-call", on: true }, { name: "mipcall-lost" }], breaks: true, boundMs: 3000, after: [{ name: "mqtt-needs-data-call", on: false }] },
];

describe("recovery from each emulator fault", () => {
  for (const sc of scenarios) {
    it(`${sc.name}: recovers, loses no QoS 1 message, restores the subscription, ends with empty queues`, async () => {
      const id = `f-${sc.name}`;
      const rig = new Rig(
        { brokerUrl: broker.url, port: broker.port, client: { will: { topic: `will/${id}`, payload: "gone", qos: 1 } } },
        id,
      );
      try {
        await run(rig, sc, id);
      } finally {
        await rig.close();
      }
    });
  }
});

async function run(rig: Rig, sc: Scenario, id: string): Promise<void> {
  const up = `up/${id}`;
  const down = `down/${id}`;
  const ofMine = (): Received[] => seen.filter((m) => m.topic === up);

  await rig.connected();
  await rig.subscribe(down, 1);
  // Before: one message each way.
  rig.client.publish(up, "before", { qos: 1 });
  await other.publishAsync(down, "before", { qos: 1 });
  await waitFor(() => ofMine().length === 1 && rig.received.length === 1, 3000, () => `traffic before the fault; ${rig.describe()}`);

  // The outage: fault(s), messages published right away and after the client has noticed.
  for (const f of sc.faults) rig.vm.inject(f);
  let faultAt = rig.now();
  const sent: string[] = [];
  const publish = (): void => {
    const text = `during-${sent.length}`;
    sent.push(text);
    expect(rig.client.publish(up, text, { qos: 1 })).toBe(true);
  };
  for (let i = 0; i < DURING / 2; i++) publish();
  if (sc.breaks) await waitFor(() => rig.count(`offline`) > 0 || rig.events.some((e) => e.name.startsWith("offline")), 3000, () => `offline; ${rig.describe()}`);
  else await sleep(sc.publishAfterMs ?? 100);
  for (let i = DURING / 2; i < DURING; i++) publish();
  if (sc.restore) {
    await sleep(sc.restore.afterMs);
    expect(rig.client.connected).toBe(false);
    for (const f of sc.restore.faults) rig.vm.inject(f);
    faultAt = rig.now();
  }

  // Recovery within the bound: reconnected (if it broke), and every outage message delivered.
  const all = (): boolean => sent.every((t) => ofMine().some((m) => m.payload.toString() === t));
  await waitFor(() => (!sc.breaks || rig.count("connect") >= 2) && all(), sc.boundMs + 2000, () => `recovery; got ${ofMine().length} of ${sent.length + 1}; ${rig.describe()}`);
  const recovered = rig.now() - faultAt;
  expect(recovered, `recovery took ${recovered.toFixed(0)} ms; ${rig.describe()}`).toBeLessThan(sc.boundMs);
  if (sc.breaks) {
    expect(rig.events.some((e) => e.name.startsWith("offline"))).toBe(true);
    expect(rig.client.connected).toBe(true);
  } else {
    // Faults on the line alone must not cost the connection.
    expect(rig.count("connect")).toBe(1);
    expect(rig.events.some((e) => e.name.startsWith("offline"))).toBe(false);
  }
  for (const f of sc.after ?? []) rig.vm.inject(f);
  if (sc.reports) {
    const { code, text } = sc.reports;
    await waitFor(() => rig.errors.some((e) => e.code === code && e.message.includes(text)), 2000, () => `${code} reported; ${rig.describe()}`);
  }

  // The subscription is back: wait for this connection's +MQTTSUB status, then send one down.
  await waitFor(() => rig.outputCount("+MQTTSUB: 1,1") >= (sc.breaks ? 2 : 1), 3000, () => `resubscribe; ${rig.describe()}`);
  await other.publishAsync(down, "after", { qos: 1 });
  await waitFor(() => rig.received.some((m) => m.payload.toString() === "after"), 3000, () => `message after recovery; ${rig.describe()}`);
  expect(rig.received.every((m) => m.topic === down)).toBe(true);

  // Memory bounded: nothing left queued anywhere once the traffic is done.
  await waitFor(() => rig.idle, 3000, () => `empty queues: ${rig.memory()}`);
  expect(rig.client.session.outbox.size).toBe(0);
  expect(rig.modem.engine.queued).toBe(0);
  expect(rig.vm.state.slots[0].queue.length).toBe(0);

  // Every QoS 1 message arrived at least once; duplicates counted.
  const got = ofMine().map((m) => m.payload.toString());
  for (const t of ["before", ...sent]) expect(got, `missing ${t}`).toContain(t);
  const duplicates = got.length - new Set(got).size;
  expect(got.filter((t) => !["before", ...sent].includes(t))).toEqual([]);
  if (sc.name === "broker-drop") {
    // The broker saw the connection die without DISCONNECT: the will went out.
    await waitFor(() => seen.some((m) => m.topic === `will/${id}`), 2000, () => "will");
  }
  summary.push(
    `${sc.name.padEnd(20)} ${`${recovered.toFixed(0)} ms`.padStart(8)}  ${String(sent.length + 1).padStart(9)}  ${String(got.length).padStart(8)}  ${String(duplicates).padStart(10)}`,
  );
}
