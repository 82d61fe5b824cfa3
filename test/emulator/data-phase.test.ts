/** The length form of MQTTPUB (the `>` prompt, raw or hex payloads), and MQTTWILL, which has none. */
import { describe, expect, it } from "vitest";
import { type Device, emulatorSuite, peer, sleep } from "./harness.ts";

const suite = emulatorSuite();
let dev: Device | undefined;

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe("MQTTPUB length form", () => {
  it("prompts with a bare > and publishes exactly the announced bytes, all 256 values", async () => {
    dev = await suite.boot({ broker: suite.broker.url });
    await dev.connect(1);
    const p = await peer(suite.broker.url);
    const got = new Promise<Buffer>((resolve) => p.on("message", (_t, payload) => resolve(payload)));
    await p.subscribeAsync("raw/all", { qos: 1 });
    dev.take();
    dev.send('AT+MQTTPUB=1,"raw/all",1,0,256\r');
    await dev.waitFor(">");
    expect(dev.take()).toBe(">");
    // Split the payload in awkward places; CR, LF and '"' inside must not end anything.
    dev.send(ALL_BYTES.subarray(0, 13));
    dev.send(ALL_BYTES.subarray(13, 200));
    expect(dev.out).toBe("");
    dev.send(ALL_BYTES.subarray(200));
    await dev.waitFor("\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n");
    expect((await got).equals(ALL_BYTES)).toBe(true);
    expect(dev.modem.log.payloads.map((e) => [e.clientId, e.command, Buffer.from(e.bytes).equals(ALL_BYTES), e.earlyBytes])).toEqual([
      [1, "MQTTPUB", true, 0],
    ]);
    expect(dev.modem.log.commands().at(-1)).toBe('AT+MQTTPUB=1,"raw/all",1,0,256');
    await p.endAsync();
  });

  it("takes bytes after the payload as the next command, and counts bytes sent before the prompt", async () => {
    dev = await suite.boot({ broker: suite.broker.url, baud: 115200 });
    await dev.connect(1);
    // Command, payload and the next command in one write: the prompt has not left yet.
    dev.send('AT+MQTTPUB=1,"x",0,0,5\rAT\r\nAT\rAT+CSQ\r');
    await dev.waitFor("+CSQ: 20,99\r\n\r\nOK\r\n");
    expect(dev.modem.log.payloads[0]?.earlyBytes).toBe(5);
    expect(Buffer.from(dev.modem.log.payloads[0]!.bytes).toString("latin1")).toBe("AT\r\nA");
    expect(dev.modem.log.commands().slice(-2)).toEqual(["T", "AT+CSQ"]);
  });

  it("does not prompt when the client is not connected", async () => {
    dev = await suite.boot({ broker: suite.broker.url });
    await dev.at("ATE0");
    expect(await dev.at('AT+MQTTPUB=1,"x",0,0,5')).toBe("\r\nERROR\r\n");
    expect(await dev.at("AT")).toBe("\r\nOK\r\n");
  });

  it("gives up with ERROR after dataTimeoutMs", async () => {
    dev = await suite.boot({ broker: suite.broker.url, dataTimeoutMs: 50 });
    await dev.connect(1);
    dev.send('AT+MQTTPUB=1,"x",0,0,5\rab');
    await dev.waitFor(">\r\nERROR\r\n");
    expect(await dev.at("AT")).toBe("\r\nOK\r\n");
  });

  it("queues commands behind the data phase", async () => {
    dev = await suite.boot({ broker: suite.broker.url });
    await dev.connect(1);
    dev.send('AT+MQTTPUB=1,"x",1,0,3\r');
    await dev.waitFor(">");
    dev.send("xyzAT+CSQ\r");
    await dev.waitFor(/\+MQTTPUB: 1,1\r\n/);
    await dev.waitFor("+CSQ: 20,99");
    expect(dev.take()).toMatch(/^>\r\nOK\r\n[\s\S]*\+CSQ: 20,99\r\n\r\nOK\r\n/);
  });
});

describe("MQTTPUB length form, hex reading", () => {
  it("takes two hex digits per byte: Datasize counts the digits on the wire", async () => {
    dev = await suite.boot({ broker: suite.broker.url, publishData: "hex" });
    await dev.connect(1);
    const p = await peer(suite.broker.url);
    const got = new Promise<Buffer>((resolve) => p.on("message", (_t, payload) => resolve(payload)));
    await p.subscribeAsync("hex/t", { qos: 1 });
    dev.take();
    dev.send('AT+MQTTPUB=1,"hex/t",1,0,8\r');
    await dev.waitFor(">");
    dev.send("00ff0D0a");
    await dev.waitFor("\r\n+MQTTPUB: 1,1\r\n");
    expect(await got).toEqual(Buffer.from([0, 0xff, 0x0d, 0x0a]));
    expect(Buffer.from(dev.modem.log.payloads[0]!.bytes).toString("latin1")).toBe("00ff0D0a");
    await p.endAsync();
  });

  it("refuses an odd count or a non-hex digit once Datasize bytes have arrived, and publishes nothing", async () => {
    dev = await suite.boot({ broker: suite.broker.url, publishData: "hex" });
    await dev.connect(1);
    for (const [size, wire] of [
      [3, "abc"],
      [4, "0g12"],
      [2, "\r\n"],
    ] as const) {
      dev.take();
      dev.send(`AT+MQTTPUB=1,"hex/t",0,0,${size}\r`);
      await dev.waitFor(">");
      dev.send(wire);
      await dev.waitFor(">\r\nERROR\r\n");
    }
    await sleep(30);
    expect(dev.out).not.toContain("+MQTTPUB");
    expect(await dev.at("AT")).toBe("\r\nOK\r\n");
  });
});

describe("MQTTWILL", () => {
  it("stores the quoted form, queries it, and refuses every other form", async () => {
    dev = await suite.boot({ broker: suite.broker.url });
    await dev.at("ATE0");
    expect(await dev.at("AT+MQTTWILL?")).toBe("\r\nOK\r\n");
    expect(await dev.at('AT+MQTTWILL=1,"w/1",1,1,"Tell you, I\'m dead."')).toBe("\r\nOK\r\n");
    expect(await dev.at('AT+MQTTWILL=2,"w/2",2,0,""')).toBe("\r\nOK\r\n");
    expect(await dev.at("AT+MQTTWILL?")).toBe('\r\n+MQTTWILL: 1,"w/1",1,1,"Tell you, I\'m dead."\r\n+MQTTWILL: 2,"w/2",2,0,""\r\n\r\nOK\r\n');
    for (const bad of [
      // The length form is not in the manual: no prompt, just an error.
      'AT+MQTTWILL=1,"w",1,0,4',
      'AT+MQTTWILL=1,"",1,1,"x"',
      'AT+MQTTWILL=1,"t",3,1,"x"',
      'AT+MQTTWILL=1,"t",1,2,"x"',
      'AT+MQTTWILL=1,"t",1,1,0',
      'AT+MQTTWILL=1,"t",1,1',
      'AT+MQTTWILL=1,"t",1,1,"x",1',
      'AT+MQTTWILL=1,"t",1,1,"\x01"',
      `AT+MQTTWILL=1,"t",1,1,"${"x".repeat(1025)}"`,
      "AT+MQTTWILL",
    ]) {
      expect(await dev.at(bad), bad).toBe("\r\nERROR\r\n");
    }
    expect(dev.modem.log.payloads).toEqual([]);
  });

  it("is delivered by the broker when the connection drops by fault, not on a clean close", async () => {
    dev = await suite.boot({ broker: suite.broker.url });
    await dev.at("ATE0");
    await dev.at('AT+MQTTWILL=1,"will/t",1,0,"offline"');
    const p = await peer(suite.broker.url);
    const wills: Buffer[] = [];
    p.on("message", (_t, payload) => wills.push(payload));
    await p.subscribeAsync("will/t", { qos: 1 });
    await dev.connect(1);
    await dev.at("AT+MQTTCLOSE=1", /\+MQTTCLOSE: 1,1\r\n$/);
    await dev.at('AT+MQTTOPEN=1,"h",1883,1,60', /\+MQTTOPEN: 1,1\r\n$/);
    dev.modem.inject({ name: "broker-drop", clientId: 1 });
    await dev.waitFor("\r\n+MQTTBREAK: 1,1\r\n\r\n+MQTTCLOSE: 1,1\r\n");
    await expect.poll(() => wills.length).toBe(1);
    await sleep(50);
    expect(wills.length).toBe(1);
    expect(wills[0]!.toString()).toBe("offline");
    await p.endAsync();
  });
});
