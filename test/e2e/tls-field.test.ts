/**
 * The firmware's `tls` setting adds a sixth AT+MQTTOPEN argument, which the manual lacks: a
 * modem that takes it (the emulator's `tlsField`) connects, one that holds to the manual's five
 * fields answers ERROR and the client never connects.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startMosquitto, type Mosquitto } from "./mosquitto.ts";
import { Rig, sleep, waitFor } from "./rig.ts";

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => broker?.stop());

const opens = (rig: Rig): string[] => rig.commands().filter((c) => c.startsWith("AT+MQTTOPEN="));

for (const tls of [1, 2] as const) {
  it(`tls ${tls} connects to a modem that takes a sixth field of ${tls}`, async () => {
    const rig = new Rig({ brokerUrl: broker.url, port: broker.port, modem: { tlsField: tls }, client: { tls } }, `tls-${tls}`);
    try {
      await rig.connected();
      expect(opens(rig)).toEqual([`AT+MQTTOPEN=1,"127.0.0.1",${broker.port},1,30,${tls}`]);
      expect(rig.outputCount(`+MQTTOPEN: 1,1`)).toBe(1);
    } finally {
      await rig.close();
    }
  });
}

it("tls 2 is refused with ERROR by a modem of the manual's five fields, and never connects", async () => {
  const rig = new Rig({ brokerUrl: broker.url, port: broker.port, client: { tls: 2 } }, "tls-strict");
  try {
    await waitFor(() => opens(rig).length >= 2, 5000, () => rig.describe());
    await sleep(200);
    expect(rig.count("connect")).toBe(0);
    expect(opens(rig).every((c) => c === `AT+MQTTOPEN=1,"127.0.0.1",${broker.port},1,30,2`)).toBe(true);
    expect(rig.outputCount("+MQTTOPEN: 1,1")).toBe(0);
    expect(rig.outputCount("\r\nERROR\r\n")).toBeGreaterThanOrEqual(2);
  } finally {
    await rig.close();
  }
});

it("tls 1 is refused by a modem that takes only 2", async () => {
  const rig = new Rig({ brokerUrl: broker.url, port: broker.port, modem: { tlsField: 2 }, client: { tls: 1 } }, "tls-other");
  try {
    await waitFor(() => opens(rig).length >= 2, 5000, () => rig.describe());
    expect(rig.count("connect")).toBe(0);
    expect(rig.outputCount("+MQTTOPEN: 1,1")).toBe(0);
  } finally {
    await rig.close();
  }
});
