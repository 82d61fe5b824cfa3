/**
 * AT injection: quotes, CR, LF and Ctrl-Z in a topic, payload, user name, password, client id or
 * will never put an extra command on the wire. The emulator's command log is the proof: it
 * holds exactly the commands the firmware meant to send, and data-phase bytes never appear in it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MqttClient as PeerClient } from "mqtt";
import { connect, ValidationError } from "cellmqtt/mqtt/client";
import { startMosquitto, type Mosquitto } from "./mosquitto.ts";
import { Rig, collect, peer, sleep, waitFor, type Received } from "./rig.ts";

let broker: Mosquitto;
let other: PeerClient;
let seen: Received[];

beforeAll(async () => {
  broker = await startMosquitto();
  other = await peer(broker.url, "e2e-injection-peer");
  seen = collect(other);
  await other.subscribeAsync(["inj/#"], { qos: 1 });
});

afterAll(async () => {
  await other?.endAsync(true);
  await broker?.stop();
});

/** Each tries to end the field or the line early and run a command of its own. */
const ATTACKS = [
  'x"\r\nAT+MQTTCLOSE=1\r\n',
  'a",1,0,"b',
  "t\rAT+CFUN=0\r",
  "t\nAT+MIPCALL=0\n",
  "t\x1aAT+MQTTCLOSE=1\x1a",
  '"',
  "\r",
];

/** Bring-up and reads the firmware sends on its own; anything else must be one of the expected MQTT commands. */
const BRING_UP = /^(AT|ATE0|AT\+MQTTCONF=1|AT\+CPIN\?|AT\+CEREG\?|AT\+CGREG\?|AT\+COPS\?|AT\+CSQ|AT\+CSQ=\?|AT\+MIPCALL\?|AT\+MIPCALL=1|AT\+MQTTOPEN\?)$/;

it("hostile user, password, client id and will topic are refused before anything is sent", () => {
  const rig = new Rig({ brokerUrl: broker.url, port: broker.port, client: { reconnect: false } }, "inj-refused");
  try {
    for (const a of ATTACKS) {
      for (const field of ["username", "password", "clientId", "host"] as const) {
        expect(() => connect(rig.modem, { host: "127.0.0.1", port: broker.port, [field]: a }), `${field} ${JSON.stringify(a)}`).toThrow(ValidationError);
      }
      expect(() => connect(rig.modem, { host: "127.0.0.1", port: broker.port, will: { topic: a, payload: "p" } })).toThrow(ValidationError);
      // `AT+MQTTWILL` is quoted only: a will payload that cannot be quoted never reaches the wire.
      expect(() => connect(rig.modem, { host: "127.0.0.1", port: broker.port, will: { topic: "w", payload: a } })).toThrow(ValidationError);
    }
  } finally {
    void rig.close();
  }
});

it("hostile topics and payloads: the command log holds exactly the intended commands", async () => {
  const willPayload = Uint8Array.from(Buffer.from("bye, AT+MQTTCLOSE=1 ';", "latin1"));
  const rig = new Rig(
    {
      brokerUrl: broker.url,
      port: broker.port,
      client: { username: "user", password: "pass", will: { topic: "inj/will", payload: willPayload, qos: 1 } },
    },
    "inj1",
  );
  try {
    await rig.connected();
    await rig.subscribe("inj/down", 1);
    const refused: Error[] = [];
    rig.client.on("error", (e) => refused.push(e));

    // Topics: refused by validation, whatever the call.
    for (const a of ATTACKS) {
      expect(rig.client.publish(a, "p", { qos: 1 })).toBe(false);
      expect(rig.client.publish(`inj/${a}`, "p", { qos: 0 })).toBe(false);
      rig.client.subscribe(`inj/${a}`, { qos: 1 });
      rig.client.unsubscribe(`inj/${a}`);
    }
    expect(refused.length).toBe(ATTACKS.length * 4);
    expect(refused.every((e) => e instanceof ValidationError)).toBe(true);

    // Payloads: any bytes are fine; they go in the length form and arrive exactly.
    for (const a of ATTACKS) rig.client.publish("inj/up", a, { qos: 1 });
    await waitFor(() => seen.filter((m) => m.topic === "inj/up").length >= ATTACKS.length, 3000, () => rig.describe());
    expect(seen.filter((m) => m.topic === "inj/up").map((m) => m.payload.toString("latin1"))).toEqual(ATTACKS);

    // And inbound: hostile payloads delivered to the device exactly.
    for (const a of ATTACKS) await other.publishAsync("inj/down", Buffer.from(a, "latin1"), { qos: 1 });
    await waitFor(() => rig.received.length >= ATTACKS.length, 3000, () => rig.describe());
    expect(rig.received.map((m) => m.payload.toString("latin1"))).toEqual(ATTACKS);

    // The will, stored quoted, fires on a broker drop and arrives intact.
    rig.vm.inject({ name: "broker-drop", clientId: 1 });
    await waitFor(() => seen.some((m) => m.topic === "inj/will"), 3000, () => rig.describe());
    expect(seen.find((m) => m.topic === "inj/will")!.payload.toString("latin1")).toBe(Buffer.from(willPayload).toString("latin1"));
    await rig.connected(2);
    await waitFor(() => rig.idle, 2000, () => rig.memory());
    await sleep(50);

    const port = broker.port;
    const connectCommands = [
      // The log redacts the password (and what follows it).
      'AT+MQTTUSER=1,"user",<redacted>',
      `AT+MQTTWILL=1,"inj/will",1,0,"${Buffer.from(willPayload).toString("latin1")}"`,
      `AT+MQTTOPEN=1,"127.0.0.1",${port},1,30`,
      // Every connection is followed by a read until the modem holds nothing.
      "AT+MQTTREAD=1",
      'AT+MQTTSUB=1,"inj/down",1',
    ];
    const expected = [
      ...connectCommands,
      ...ATTACKS.map((a) => `AT+MQTTPUB=1,"inj/up",1,0,${Buffer.byteLength(a, "latin1")}`),
      ...ATTACKS.map(() => "AT+MQTTREAD=1"),
      ...connectCommands,
    ];
    const lines = rig.vm.log.lines;
    // Every line the device wrote ended with CR; none was a control line. Only a bring-up line
    // sent while the modem was still booting (the sync `AT` before `RDY`) may have been ignored.
    expect(lines.filter((l) => l.terminator !== 13 || (l.kind !== "command" && !(l.kind === "ignored" && BRING_UP.test(l.text))))).toEqual([]);
    const mqtt = rig.commands().filter((c) => !BRING_UP.test(c));
    expect(mqtt).toEqual(expected);
    // The payloads went as data, exactly, and only after the prompt.
    const payloads = rig.vm.log.payloads;
    expect(payloads.map((p) => [p.command, Buffer.from(p.bytes).toString("latin1"), p.earlyBytes])).toEqual(ATTACKS.map((a) => ["MQTTPUB", a, 0]));
  } finally {
    await rig.close();
  }
});
