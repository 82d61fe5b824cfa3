/**
 * The library's errors under frozen built-ins, as on a Moddable device (the XS host freezes them
 * before the script runs): constructing one must not write a property that a frozen prototype
 * holds, and a failure reported with one (a refused reconnect) must still leave the session
 * retrying.
 */
import { MqttError, refusalError } from "cellmqtt/modem/errors";
import { ValidationError, checkInteger, checkTopicName } from "cellmqtt/modem/validate";
import Ecma419Client from "cellmqtt/mqtt/ecma419-client";
import { ModemRig } from "../../support/modem-rig.ts";
import { assert, assertEqual, run, test } from "../harness.ts";

/** What `fn` threw (fails if it threw nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("nothing thrown");
}

test("the host runs scripts with the built-ins frozen", () => {
  assert(Object.isFrozen(Error.prototype), "Error.prototype frozen");
  assert(Object.isFrozen(Object.prototype) && Object.isFrozen(Array.prototype) && Object.isFrozen(Math), "Object/Array prototypes and Math frozen");
  class Named extends Error {
    constructor() {
      super("m");
      this.name = "Named";
    }
  }
  const e = thrown(() => new Named());
  assert(e instanceof TypeError, `assigning an inherited read-only name throws a TypeError, got ${String(e)}`);
  const plain = {} as { toString: () => string };
  assert(thrown(() => (plain.toString = () => "x")) instanceof TypeError, "assigning toString on a plain object throws");
});

test("MqttError: name, message, code, client id, modem code", () => {
  const e = new MqttError("TIMEOUT", "client 2: no answer", 2);
  assert(e instanceof MqttError && e instanceof Error, "instanceof");
  assertEqual(e.name, "MqttError", "name");
  assertEqual(e.message, "client 2: no answer", "message");
  assertEqual(e.code, "TIMEOUT", "code");
  assertEqual(e.clientId, 2, "clientId");
  assertEqual(e.modemCode, -1, "modemCode");
  assertEqual(e.permanent, false, "permanent");
  assertEqual(String(e), "MqttError: client 2: no answer", "String()");
  assert(!Object.prototype.hasOwnProperty.call(e, "name"), "name comes from the prototype");
});

test("refusalError: the broker's refusal as an MqttError", () => {
  const e = refusalError(1, 703);
  assertEqual(e.name, "MqttError", "name");
  assertEqual(e.code, "BAD_USERNAME_OR_PASSWORD", "code");
  assertEqual(e.modemCode, 703, "modemCode");
  assertEqual(e.permanent, true, "permanent");
  assert(e.message.includes("bad user name or password (ERROR: 703)"), e.message);
});

test("ValidationError: name, field, message naming the field and the range", () => {
  const e = new ValidationError("keepalive", "must be 1 to 300");
  assertEqual(e.name, "ValidationError", "name");
  assertEqual(e.field, "keepalive", "field");
  assertEqual(e.message, "keepalive: must be 1 to 300", "message");
  const range = thrown(() => checkInteger("port", 70000, 1, 65535));
  assert(range instanceof ValidationError, `checkInteger throws a ValidationError, got ${String(range)}`);
  assertEqual((range as ValidationError).field, "port", "field");
  assertEqual((range as ValidationError).message, "port: must be an integer from 1 to 65535, got 70000", "message");
  const topic = thrown(() => checkTopicName("topic", "a/+/b", 1, 255));
  assert(topic instanceof ValidationError && topic.field === "topic", `wildcard in a topic name: ${String(topic)}`);
});

test("ECMA-419 write over the modem's 1,024 bytes: a ValidationError naming data and the limit", () => {
  const r = new ModemRig();
  const client = new Ecma419Client({ modem: r.modem, host: "broker.example", id: "dev1" });
  const e = thrown(() => client.write(new ArrayBuffer(16 * 1024), { topic: "t", QoS: 0 }));
  assert(e instanceof ValidationError, `got ${String(e)}`);
  assertEqual((e as ValidationError).field, "data", "field");
  assert((e as ValidationError).message.includes("0 to 1024 bytes"), (e as ValidationError).message);
  const bad = thrown(() => new Ecma419Client({ modem: r.modem, host: "h", slot: 3 }));
  assert(bad instanceof ValidationError && bad.field === "slot", `slot 3: ${String(bad)}`);
  client.close();
});

test("a failed reconnect still schedules the next attempt, which connects", () => {
  const r = new ModemRig();
  const c = r.connected({ reconnectPeriod: 1000 });
  const opens = (): number => r.fake.count(/^AT\+MQTTOPEN=/);
  const before = opens();
  // The broker is away: the connection breaks and the first reopen is refused.
  r.fake.openOutcome[1] = { kind: "final", code: 702 };
  r.fake.breakConnection(1, 1);
  assert(r.until(() => r.errors.length > 0, 60_000), `no error reported; wire: ${r.fake.lines.slice(-6).join(" | ")}`);
  assertEqual(r.errors[0]!.code, "SERVER_UNAVAILABLE", "error code");
  assertEqual(opens(), before + 1, "one refused reopen");
  // The broker is back: the session must try again by itself.
  assert(r.until(() => c.connected, 120_000), `never reconnected; session ${c.session.stateName}; wire: ${r.fake.lines.slice(-6).join(" | ")}`);
  assertEqual(opens(), before + 2, "reopens");
});

run();
