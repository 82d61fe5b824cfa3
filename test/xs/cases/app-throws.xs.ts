/**
 * The SDK's own ECMA-419 example (examples/io/tcp/mqttclient/main.js) as a device runs it: its
 * onControl(CONNACK) writes a 16 KB message, over the modem's 1,024 bytes, and the ValidationError
 * is thrown inside the serial driver's onReadable chain; its onWritable then writes fragments the
 * client refuses. On a device this ended in `XS abort: unhandled exception`. Here the throws are
 * reported through trace, the rest of the read is parsed, and a write from a timer still works,
 * all with the built-ins frozen and the library manifest's stack.
 */
import Client from "cellmqtt/mqtt/ecma419-client";
import Timer from "timer";
import { Device } from "../support/device.ts";
import { assert, assertEqual, run, test } from "../harness.ts";

function bytes(text: string): ArrayBuffer {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out.buffer;
}

/** What the library traced; the XS host has no `trace` of its own. */
const traced: string[] = [];
(globalThis as { trace?: (text: string) => void }).trace = (text) => void traced.push(text);

test("the SDK's mqttclient example: its throws are traced, the client stays connected, a later write from a timer goes out", async () => {
  const d = new Device();
  const controls: number[] = [];
  // The example keeps these on `this`; closures here, for the type-checker.
  let remain = 0;
  let counter = 0;
  const client = new Client({
    modem: d.modem,
    host: "test.mosquitto.org",
    port: 1883,
    id: "ecma-419 mqtt test",
    keepalive: 60_000,
    will: { topic: "foo/bar/will", message: bytes("born"), QoS: 0, retain: 0 },
    onControl(msg) {
      controls.push(msg.operation);
      if (Client.CONNACK === msg.operation) {
        this.write(null, { operation: Client.SUBSCRIBE, items: [{ topic: "foo/bar/+", QoS: 2 }, { topic: "bar/foo" }] });
        this.write(null, { operation: Client.UNSUBSCRIBE, items: [{ topic: "frogs" }, { topic: "bar/foo" }] });
        this.write(bytes("SM"), { topic: "foo/bar/small", byteLength: 6, QoS: 2 });
        this.write(bytes("ALL\n"));
        this.write(null, { operation: Client.PINGREQ });
        remain = 16 * 1024;
        counter = 0;
        this.write(bytes("XXL"), { topic: "foo/bar/xxl", byteLength: 3 + remain, QoS: 1, id: 1234 });
      }
    },
    onReadable(count) {
      traced.push(`message ${count}`);
    },
    onWritable(count) {
      if (!remain) return;
      const repeat = count < remain ? count : remain;
      remain -= repeat;
      counter += 1;
      this.write(bytes(String.fromCharCode(64 + counter).repeat(repeat)));
    },
    onError() {
      traced.push("ERROR");
    },
  });
  assert(await d.until(() => client.connected), `never connected: ${d.fake.lines.slice(-5).join(" | ")}`);
  await d.run(3000);
  assert(traced.includes("mqtt[1] onControl threw: ValidationError: byteLength: must be an integer from 3 to 1024, got 16387\n"), `traced: ${traced.join("")}`);
  assert(traced.some((t) => t.startsWith("mqtt[1] onWritable threw: ValidationError: options:")), `traced: ${traced.join("")}`);
  assert(controls.includes(Client.SUBACK) && controls.includes(Client.PINGRESP), `controls ${controls.join(",")}`);
  assert(d.fake.published.some((p) => p.topic === "foo/bar/small"), "the 6-byte message assembled from two writes went out");
  assert(client.connected, "still connected");
  // A write from a timer (outside any callback) after the throws.
  let late = false;
  Timer.set(() => {
    late = true;
    client.write(bytes("from a timer"), { topic: "foo/bar/late", QoS: 1 });
  }, 500);
  assert(await d.until(() => late && d.fake.published.some((p) => p.topic === "foo/bar/late"), 5000), "the timer's write went out");
  assertEqual(traced.includes("ERROR"), false, "onError");
  client.close();
});

test("onReadable throwing inside the driver's read: the next message of the same read is delivered", async () => {
  const d = new Device({ network: { receiveMode: 0 } });
  const topics: string[] = [];
  const client = new Client({
    modem: d.modem,
    host: "broker.example",
    onReadable(_count, options) {
      topics.push(options.topic);
      if (topics.length === 1) throw new Error("app bug");
    },
  });
  assert(await d.until(() => client.connected), "never connected");
  // Two messages in one delivery (mode 0); the first one's callback throws.
  const both = '\r\n+MQTTMSG: 1,0,"a/1","x"\r\n\r\n+MQTTMSG: 1,0,"a/2","y"\r\n';
  const chunk = new Uint8Array(both.length);
  for (let i = 0; i < both.length; i++) chunk[i] = both.charCodeAt(i);
  const before = d.deliveries;
  d.modemSends(chunk);
  await d.run(10);
  assertEqual(d.deliveries - before, 1, "deliveries of the chunk");
  assertEqual(topics.join(","), "a/1,a/2", "messages delivered");
  assert(traced.includes("mqtt[1] onReadable threw: Error: app bug\n"), `traced: ${traced.join("")}`);
  assert(client.connected, "still connected");
  client.close();
});

test("a throw that escapes the engine is traced by the ESP32 binding, and input is still read", async () => {
  const d = new Device({ network: { receiveMode: 0 } });
  const topics: string[] = [];
  const client = new Client({ modem: d.modem, host: "broker.example", onReadable: (_n, o) => void topics.push(o.topic) });
  assert(await d.until(() => client.connected), "never connected");
  const engine = d.uart.engine;
  // A handler with a bug (standing in for the library's own), on a line the modem may send any time.
  engine.listen(engine.token("+CEREG"), {
    onLine() {
      throw new Error("handler bug");
    },
  });
  const text = '\r\n+CEREG: 1\r\n';
  const boom = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) boom[i] = text.charCodeAt(i);
  d.modemSends(boom);
  await d.run(10);
  assert(traced.includes("cellmqtt: modem input: Error: handler bug\n"), `traced: ${traced.join("")}`);
  d.fake.message(1, "after/boom", "z", 0);
  await d.run(100);
  assertEqual(topics.join(","), "after/boom", "messages after the throw");
  client.close();
});

run();
