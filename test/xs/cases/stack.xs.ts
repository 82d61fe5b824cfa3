/**
 * The JavaScript stack the library needs, measured the way a device spends it. On a device the
 * serial driver calls the binding's `onReadable`; a `+MQTTOPEN` line parsed there reaches the
 * app's `onControl(CONNACK)`, whose `write` runs back down through session, channel and engine
 * to `serial.write`, all in that one call chain. Every delivery below goes in through the ESP32
 * binding's `onReadable` (test/xs/support/device.ts), and the deepest stack below that call is
 * held to a budget.
 *
 * What a Moddable build must give (`creation.stack`, in slots): the engine's fixed part (XS 17.9
 * keeps its 80 intrinsics and 82 other roots at the top of the stack: 162 slots), the library's
 * budget, and room for the app's own calls inside its callbacks. The SDK's default (384) and the
 * ESP32 boards' usual 512 are too small; modules/mqtt/manifest.json sets what the test below
 * checks, and test/xs/xs.test.ts runs every XS script with that stack.
 */
import Client from "cellmqtt/mqtt/ecma419-client";
import { connect } from "cellmqtt/mqtt/client";
import { Device } from "../support/device.ts";
import { STACK_SIZE, assert, assertEqual, assertSameList, counters, host, run, test } from "../harness.ts";

/** Slots XS 17.9 holds at the top of the stack before any JavaScript runs (intrinsics and roots). */
const ENGINE_FIXED = 162;
/** The library's budget: the deepest it may go below the driver's `onReadable` call (measured 407). */
const LIBRARY_BUDGET = 480;
/** What is left for the app's own calls inside a callback, at the least. */
const APP_ROOM = 120;

function bytes(text: string): ArrayBuffer {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out.buffer;
}

test("the SDK's mqttclient flow: the deepest stack below the driver's onReadable stays within the budget", async () => {
  const d = new Device();
  const seen: string[] = [];
  const client = new Client({
    modem: d.modem,
    host: "broker.example",
    id: "dev1",
    keepalive: 60_000,
    onControl(msg) {
      seen.push(`control ${msg.operation}`);
      if (msg.operation !== Client.CONNACK) return;
      // As examples/io/tcp/mqttclient does on CONNACK, minus its 16 KB message (over the modem's limit).
      this.write(null, { operation: Client.SUBSCRIBE, items: [{ topic: "foo/bar/+", QoS: 2 }, { topic: "bar/foo" }] });
      this.write(null, { operation: Client.UNSUBSCRIBE, items: [{ topic: "frogs" }, { topic: "bar/foo" }] });
      this.write(bytes("SM"), { topic: "foo/bar/small", byteLength: 6, QoS: 2 });
      this.write(bytes("ALL\n"));
      this.write(null, { operation: Client.PINGREQ });
      this.write(bytes("XXL"), { topic: "foo/bar/xxl", QoS: 1, id: 1234 });
    },
    onReadable(count) {
      const data = this.read(count)!;
      seen.push(`readable ${count}`);
      // A reply written from inside the delivery: down to the port in the same chain.
      this.write(data, { topic: "foo/bar/echo", QoS: 1 });
    },
  });
  assert(await d.until(() => client.connected), `never connected: ${d.fake.lines.slice(-5).join(" | ")}`);
  await d.run(3000);
  d.fake.message(1, "foo/bar/x", "hello", 1);
  await d.run(3000);
  assert(seen.includes("readable 5"), `message delivered: ${seen.join(", ")}`);
  assert(d.fake.published.some((p) => p.topic === "foo/bar/echo"), "the reply written inside onReadable went out");
  assert(d.fake.published.some((p) => p.topic === "foo/bar/xxl"), "the publish written inside onControl went out");
  // A measurement that saw the whole chain: at least the frames of parsing, dispatch and the write.
  assert(d.deepest > 250, `deepest ${d.deepest} slots: the chain was not measured`);
  assert(d.deepest <= LIBRARY_BUDGET, `the library went ${d.deepest} slots deep below onReadable; budget ${LIBRARY_BUDGET}`);
  client.close();
});

test("the MQTT.js-style client: a publish from inside a message listener stays within the budget", async () => {
  const d = new Device();
  const client = connect(d.modem, { host: "broker.example", clientId: "dev1" });
  const topics: string[] = [];
  client.on("connect", () => {
    client.subscribe("cmd/#", { qos: 1 });
    client.publish("state", "online", { qos: 1 });
  });
  client.on("message", (topic, payload) => {
    topics.push(topic);
    client.publish("reply", payload, { qos: 1 });
  });
  assert(await d.until(() => client.connected), "never connected");
  await d.run(2000);
  d.fake.message(1, "cmd/go", "now", 1);
  await d.run(2000);
  assertSameList(topics, ["cmd/go"], "messages");
  assertEqual(d.fake.published.filter((p) => p.topic === "reply").length, 1, "replies published");
  assert(d.deepest > 250 && d.deepest <= LIBRARY_BUDGET, `deepest ${d.deepest} slots; budget ${LIBRARY_BUDGET}`);
  client.end();
});

test("the stack this runs with (the library manifest's creation.stack) holds the engine, the library and the app", () => {
  const c = counters();
  host.xsCounters(c);
  const size = c[STACK_SIZE]!;
  assert(
    ENGINE_FIXED + LIBRARY_BUDGET + APP_ROOM <= size,
    `creation.stack ${size}: needs ${ENGINE_FIXED} (engine) + ${LIBRARY_BUDGET} (library) + ${APP_ROOM} (app) = ${ENGINE_FIXED + LIBRARY_BUDGET + APP_ROOM}`,
  );
});

run();
