/**
 * 1024-byte payloads holding every byte value 0-255 round-trip exactly, both ways: out through
 * the length form of AT+MQTTPUB (`>` then raw bytes), in through mode 1 (`+MQTTMSGI`, then
 * AT+MQTTREAD read by length), also with the modem's output cut into random pieces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MqttClient as PeerClient } from "mqtt";
import { startMosquitto, type Mosquitto } from "./mosquitto.ts";
import { Rig, allBytes, collect, peer, waitFor, type Received } from "./rig.ts";

let broker: Mosquitto;
let other: PeerClient;
let seen: Received[];

beforeAll(async () => {
  broker = await startMosquitto();
  other = await peer(broker.url, "e2e-binary-peer");
  seen = collect(other);
  await other.subscribeAsync("bin/up/#", { qos: 1 });
});

afterAll(async () => {
  await other?.endAsync(true);
  await broker?.stop();
});

/** Payloads that would break a line-based reader: quotes, line ends, a fake final result, a fake record. */
function hostile(): Uint8Array[] {
  const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));
  const fill = (head: string): Uint8Array => {
    const b = allBytes(1024, 7);
    b.set(text(head), 0);
    return b;
  };
  return [
    allBytes(1024),
    allBytes(1024, 128),
    fill('"\r\nOK\r\n'),
    fill('","\r\n+MQTTREAD: 1,0,0,0\r\n\r\nERROR\r\n'),
    fill("\r\n+MQTTBREAK: 1,1\r\n>\x1a"),
  ];
}

describe.each([
  { name: "whole writes", split: false, readLayout: "one-line" as const },
  { name: "modem output cut into random pieces", split: true, readLayout: "one-line" as const },
  { name: "records on the line after their header, cut into random pieces", split: true, readLayout: "two-line" as const },
])("1024-byte payloads with every byte value ($name)", ({ split, readLayout }) => {
  it("go out byte-exact in the length form and come in byte-exact through AT+MQTTREAD", async () => {
    const id = `bin-${split ? "split" : "whole"}-${readLayout}`;
    // Five 1024-byte messages queued at once: more than the default 4096-byte outbox.
    const rig = new Rig({ brokerUrl: broker.url, port: broker.port, cellular: { outboxBytes: 8192 }, modem: { readLayout } }, id);
    try {
      await rig.connected();
      await rig.subscribe(`bin/down/${id}`, 1);
      if (split) rig.vm.inject({ name: "split-writes", on: true });
      const payloads = hostile();
      for (const p of payloads) expect(new Set(p).size).toBe(256);

      // Out: device -> peer.
      const up = `bin/up/${id}`;
      for (const p of payloads) rig.client.publish(up, p, { qos: 1 });
      const mine = (): Received[] => seen.filter((m) => m.topic === up);
      await waitFor(() => mine().length >= payloads.length, 5000, () => `uploads: ${mine().length}; ${rig.describe()}`);
      expect(mine().map((m) => Buffer.compare(m.payload, Buffer.from(payloads[mine().indexOf(m)]!)))).toEqual(payloads.map(() => 0));
      // On the wire: the length form, the data written only after `>`, bytes exact.
      const pubs = rig.commands().filter((c) => c.startsWith("AT+MQTTPUB="));
      expect(pubs).toEqual(payloads.map(() => `AT+MQTTPUB=1,"${up}",1,0,1024`));
      const data = rig.vm.log.payloads.filter((p) => p.command === "MQTTPUB");
      expect(data.map((d) => d.earlyBytes)).toEqual(payloads.map(() => 0));
      expect(data.map((d) => Buffer.compare(Buffer.from(d.bytes), Buffer.from(payloads[data.indexOf(d)]!)))).toEqual(payloads.map(() => 0));

      // In: peer -> device, announced with +MQTTMSGI and read with AT+MQTTREAD.
      for (const p of payloads) await other.publishAsync(`bin/down/${id}`, Buffer.from(p), { qos: 1 });
      await waitFor(() => rig.received.length >= payloads.length, 5000, () => `downloads: ${rig.received.length}; ${rig.describe()}`);
      expect(rig.received.map((m, i) => Buffer.compare(m.payload, Buffer.from(payloads[i]!)))).toEqual(payloads.map(() => 0));
      expect(rig.received.every((m) => m.topic === `bin/down/${id}` && m.qos === 1)).toBe(true);
      expect(rig.outputCount("+MQTTMSGI: 1,1,")).toBe(payloads.length);
      // The records came in the layout asked for.
      const header = `+MQTTREAD: 1,1,${`bin/down/${id}`.length},1024`;
      expect(rig.outputCount(`${header}${readLayout === "two-line" ? "\r\n" : ","}"bin/down/`)).toBe(payloads.length);
      // One read per message, after the one that follows the connection.
      expect(rig.commands().filter((c) => c === "AT+MQTTREAD=1")).toHaveLength(payloads.length + 1);

      await waitFor(() => rig.idle, 2000, () => rig.memory());
      expect(rig.modem.engine.stats[4]).toBe(0); // no line overflowed the receive ring
      expect(rig.count("connect")).toBe(1);
    } finally {
      await rig.close();
    }
  });
});

it("QoS 0 binary payloads go out exactly as well", async () => {
  const rig = new Rig({ brokerUrl: broker.url, port: broker.port }, "bin-qos0");
  try {
    await rig.connected();
    const p = allBytes(1024, 3);
    rig.client.publish("bin/up/qos0", p, { qos: 0 });
    await waitFor(() => seen.some((m) => m.topic === "bin/up/qos0"), 3000, () => rig.describe());
    expect(Buffer.compare(seen.find((m) => m.topic === "bin/up/qos0")!.payload, Buffer.from(p))).toBe(0);
    expect(rig.commands()).toContain('AT+MQTTPUB=1,"bin/up/qos0",0,0,1024');
  } finally {
    await rig.close();
  }
});
