/** CONNACK refusals 1..5 in each openResult style, with aedes' authenticate hook refusing. */
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OpenResultStyle } from "../../hosts/emulator/index.ts";
import { type Broker, Device, startBroker } from "./harness.ts";

let broker: Broker;
let dev: Device | undefined;
beforeAll(async () => {
  broker = await startBroker((aedes) => {
    // User name "refuse<N>" makes the broker answer CONNACK return code N.
    aedes.authenticate = (_client, username, _password, done) => {
      const m = /^refuse(\d)$/.exec(username ?? "");
      if (!m) return done(null, true);
      const err = Object.assign(new Error("refused"), { returnCode: Number(m[1]) });
      done(err as Parameters<typeof done>[0], null);
    };
  });
});
afterAll(async () => {
  await broker.close();
});
afterEach(async () => {
  await dev?.close();
  dev = undefined;
});

async function device(openResult: OpenResultStyle): Promise<Device> {
  dev = await Device.boot({ broker: broker.url, openResult });
  await dev.at("ATE0");
  await dev.at("AT+MIPCALL=1");
  await dev.waitFor(/\+MIPCALL: [\d.]+\r\n/);
  dev.take();
  return dev;
}

describe("CONNACK refusal", () => {
  it("deferred (default): ERROR: 700..704 as the final result, no OK", async () => {
    const d = await device("deferred");
    // aedes' authenticate hook can only refuse with 2..5: codes 2..5 come from aedes, code 1 below.
    for (let code = 2; code <= 5; code++) {
      await d.at(`AT+MQTTUSER=1,"refuse${code}","pw"`);
      expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60')).toBe(`\r\nERROR: ${699 + code}\r\n`);
      expect(await d.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
    }
    await d.at('AT+MQTTUSER=1,"good","pw"');
    expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60', /\+MQTTOPEN: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTOPEN: 1,1\r\n");
  });

  it("deferred: code 1 (unacceptable protocol version) is ERROR: 700", async () => {
    // A stub broker that answers any CONNECT with CONNACK return code 1.
    const stub = createServer((socket) => socket.once("data", () => socket.end(Buffer.from([0x20, 0x02, 0x00, 0x01]))));
    stub.listen(0, "127.0.0.1");
    await once(stub, "listening");
    const { port } = stub.address() as AddressInfo;
    dev = await Device.boot({});
    await dev.at("ATE0");
    await dev.at("AT+MIPCALL=1");
    await dev.waitFor(/\+MIPCALL: [\d.]+\r\n/);
    expect(await dev.at(`AT+MQTTOPEN=2,"127.0.0.1",${port},1,60`)).toBe("\r\nERROR: 700\r\n");
    stub.close();
  });

  it("deferred: commands sent meanwhile wait for the open's result", async () => {
    const d = await device("deferred");
    await d.at('AT+MQTTUSER=1,"refuse4","pw"');
    d.send('AT+MQTTOPEN=1,"h",1883,1,60\rAT+CSQ\r');
    await d.waitFor(/\+CSQ: 20,99\r\n\r\nOK\r\n$/);
    expect(d.take()).toBe("\r\nERROR: 703\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
  });

  it("immediate: OK, then +MQTTOPEN: id,0", async () => {
    const d = await device("immediate");
    await d.at('AT+MQTTUSER=1,"refuse5","pw"');
    expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60', /\+MQTTOPEN: 1,0\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTOPEN: 1,0\r\n");
  });

  it("immediate-error: OK, then an unsolicited ERROR: 70x", async () => {
    const d = await device("immediate-error");
    await d.at('AT+MQTTUSER=2,"refuse2","pw"');
    expect(await d.at('AT+MQTTOPEN=2,"h",1883,1,60', /ERROR: 701\r\n$/)).toBe("\r\nOK\r\n\r\nERROR: 701\r\n");
    await d.at('AT+MQTTUSER=2,"fine","pw"');
    expect(await d.at('AT+MQTTOPEN=2,"h",1883,1,60', /\+MQTTOPEN: 2,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTOPEN: 2,1\r\n");
  });

  it("passes user name, password and client id to the broker", async () => {
    const seen: { id: string; user: string | undefined; pass: string | undefined }[] = [];
    const b = await startBroker((aedes) => {
      aedes.authenticate = (client, username, password, done) => {
        seen.push({ id: client.id, user: username, pass: password?.toString() });
        done(null, true);
      };
    });
    dev = await Device.boot({ broker: b.url });
    await dev.connect(1);
    await dev.at('AT+MQTTUSER=2,"name","secret","dev-42"');
    await dev.at('AT+MQTTOPEN=2,"h",1883,1,60', /\+MQTTOPEN: 2,1\r\n$/);
    expect(seen).toEqual([
      { id: "867959031234567", user: undefined, pass: undefined },
      { id: "dev-42", user: "name", pass: "secret" },
    ]);
    await dev.close();
    dev = undefined;
    await b.close();
  });
});
