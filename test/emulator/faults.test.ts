/** Fault injection through the API, the AT#FAULT side channel and control lines. */
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { parseFault } from "../../hosts/emulator/index.ts";
import { type Device, emulatorSuite, peer, sleep } from "./harness.ts";

const suite = emulatorSuite();
let dev: Device | undefined;

async function connected(options = {}): Promise<Device> {
  dev = await suite.boot({ broker: suite.broker.url, ...options });
  await dev.connect(1);
  return dev;
}

describe("broker connection faults", () => {
  it("broker-drop via AT#FAULT: +MQTTBREAK: 1,1 then +MQTTCLOSE: 1,1; logged as control", async () => {
    const d = await connected();
    d.send("AT#FAULT=broker-drop,1\r");
    await d.waitFor("\r\n+MQTTBREAK: 1,1\r\n\r\n+MQTTCLOSE: 1,1\r\n");
    expect(d.take()).toBe("\r\nOK\r\n\r\n+MQTTBREAK: 1,1\r\n\r\n+MQTTCLOSE: 1,1\r\n");
    expect(d.modem.log.lines.at(-1)).toMatchObject({ kind: "control", text: "AT#FAULT=broker-drop,1" });
    expect(d.modem.log.commands()).not.toContain("AT#FAULT=broker-drop,1");
    expect(await d.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
  });

  it("reports only +MQTTBREAK when closeAfterBreak is off", async () => {
    const d = await connected({ closeAfterBreak: false });
    d.modem.control("broker-drop");
    await d.waitFor("\r\n+MQTTBREAK: 1,1\r\n");
    await sleep(30);
    expect(d.take()).toBe("\r\n+MQTTBREAK: 1,1\r\n");
  });

  it("reports cause 1 when the broker itself closes the connection", async () => {
    const d = await connected();
    const client = await new Promise<{ close(): void }>((resolve) => {
      for (const c of Object.values((suite.broker.aedes as unknown as { clients: Record<string, { close(): void }> }).clients)) resolve(c);
    });
    client.close();
    await d.waitFor("\r\n+MQTTBREAK: 1,1\r\n");
  });

  it("fails an open in progress when the link is killed: OK then +MQTTOPEN: id,0", async () => {
    dev = await suite.boot({ broker: suite.broker.url, openResult: "immediate" });
    await dev.connect(1);
    await dev.at('AT+MQTTUSER=2,"","","two"');
    dev.send('AT+MQTTOPEN=2,"h",1883,1,60\r');
    dev.modem.inject({ name: "broker-drop", clientId: 2 });
    await dev.waitFor("\r\n+MQTTOPEN: 2,0\r\n");
    expect(dev.out).not.toContain("+MQTTBREAK: 2");
  });
});

describe("radio faults", () => {
  for (const [name, cause] of [
    ["radio-lost", 2],
    ["deregistered", 3],
  ] as const) {
    it(`${name}: +MQTTBREAK cause ${cause}, registration 0 and no data call until restored`, async () => {
      const d = await connected();
      d.modem.inject({ name });
      await d.waitFor(`\r\n+MQTTBREAK: 1,${cause}\r\n`);
      expect(await d.at("AT+CEREG?")).toBe("\r\n+CEREG: 0,0\r\n\r\nOK\r\n");
      expect(await d.at("AT+CGREG?")).toBe("\r\n+CGREG: 0,0\r\n\r\nOK\r\n");
      expect(await d.at("AT+MIPCALL?")).toBe("\r\n+MIPCALL: 0\r\n\r\nOK\r\n");
      expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60')).toBe("\r\nERROR\r\n");
      // Dialling while deregistered: accepted, then the call fails.
      expect(await d.at("AT+MIPCALL=1", /\+MIPCALL: 0\r\n$/)).toBe("\r\nOK\r\n\r\n+MIPCALL: 0\r\n");
      d.send(`AT#FAULT=RESTORE\r`);
      await d.waitFor("OK");
      expect(await d.at("AT+CEREG?")).toBe("\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
      await d.at("AT+MIPCALL=1", /\+MIPCALL: 10\.2\.83\.148\r\n$/);
      expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60', /\+MQTTOPEN: 1,1\r\n$/)).toContain("+MQTTOPEN: 1,1");
    });
  }

  it("mipcall-lost: +MIPCALL: 0 first, then +MQTTBREAK: id,2", async () => {
    const d = await connected();
    d.modem.inject({ name: "mipcall-lost" });
    await d.waitFor("+MQTTCLOSE: 1,1\r\n");
    expect(d.take()).toBe("\r\n+MIPCALL: 0\r\n\r\n+MQTTBREAK: 1,2\r\n\r\n+MQTTCLOSE: 1,1\r\n");
    expect(await d.at("AT+CEREG?")).toBe("\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
  });
});

describe("reboot", () => {
  it("loses all MQTT state, turns echo back on, sends RDY, and the broker publishes the will", async () => {
    const d = await connected({ rebootDelayMs: 30 });
    await d.at('AT+MQTTWILL=1,"boot/will",0,0,"gone"');
    await d.at("AT+MQTTCLOSE=1", /\+MQTTCLOSE: 1,1\r\n$/);
    await d.at("AT+MQTTCONF=1");
    await d.at('AT+MQTTOPEN=1,"h",1883,1,60', /\+MQTTOPEN: 1,1\r\n$/);
    const p = await peer(suite.broker.url);
    const wills: string[] = [];
    p.on("message", (_t, payload) => wills.push(payload.toString()));
    await p.subscribeAsync("boot/will");
    d.send("AT#FAULT=reboot\r");
    d.send("AT\r");
    await d.waitFor("\r\nRDY\r\n");
    expect(d.take()).toBe("\r\nOK\r\n\r\nRDY\r\n");
    expect(d.modem.log.lines.at(-1)).toMatchObject({ kind: "ignored", text: "AT" });
    expect(await d.at("AT")).toBe("AT\r\r\nOK\r\n");
    await d.at("ATE0");
    expect(await d.at("AT+MQTTWILL?")).toBe("\r\nOK\r\n");
    expect(await d.at("AT+MQTTCONF?")).toBe("\r\n+MQTTCONF: 0\r\n\r\nOK\r\n");
    expect(await d.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
    expect(await d.at("AT+MIPCALL?")).toBe("\r\n+MIPCALL: 0\r\n\r\nOK\r\n");
    await expect.poll(() => wills).toEqual(["gone"]);
    expect(d.out).not.toContain("MQTTBREAK");
    await p.endAsync();
  });

  it("keeps MQTT settings across a reboot only when persistSettings is set (the manual: \"Persistent: No\")", async () => {
    dev = await suite.boot({ rebootDelayMs: 1, persistSettings: true });
    await dev.at("ATE0");
    await dev.at('AT+MQTTUSER=1,"u","p"');
    await dev.at("AT+MQTTCONF=1");
    dev.modem.inject({ name: "reboot" });
    await dev.waitFor("RDY");
    await dev.at("ATE0");
    expect(await dev.at("AT+MQTTUSER?")).toBe('\r\n+MQTTUSER: 1,"u","p"\r\n\r\nOK\r\n');
    expect(await dev.at("AT+MQTTCONF?")).toBe("\r\n+MQTTCONF: 1\r\n\r\nOK\r\n");
  });
});

describe("line faults", () => {
  it("silence: no answers and input dropped for N seconds", async () => {
    dev = await suite.boot({});
    await dev.at("ATE0");
    dev.modem.control("silence 0.1");
    dev.send("AT+CSQ\r");
    await sleep(60);
    expect(dev.take()).toBe("");
    await sleep(60);
    expect(await dev.at("AT")).toBe("\r\nOK\r\n");
    expect(dev.modem.log.lines.map((l) => l.kind)).toEqual(["command", "ignored", "command"]);
  });

  it("garbage: one burst of random bytes without line ends, framed by CRLF", async () => {
    dev = await suite.boot({});
    dev.modem.inject({ name: "garbage", bytes: 100 });
    const out = Buffer.from(dev.take(), "latin1");
    expect(out.length).toBe(104);
    expect(out.subarray(2, 102).includes(13) || out.subarray(2, 102).includes(10)).toBe(false);
    expect(await dev.at("AT")).toBe("AT\r\r\nOK\r\n");
  });

  it("split-writes: the same bytes arrive in more, smaller writes", async () => {
    dev = await suite.boot({});
    await dev.at("ATE0");
    dev.send("AT#FAULT=split-writes,on\r");
    await dev.waitFor("OK\r\n");
    dev.take();
    dev.chunks = [];
    expect(await dev.at('AT+COPS?')).toBe('\r\n+COPS: 0,0,"CHN-UNICOM",7\r\n\r\nOK\r\n');
    expect(dev.chunks.length).toBeGreaterThan(1);
    dev.modem.inject({ name: "split-writes", on: false });
    dev.chunks = [];
    await dev.at("AT+CSQ");
    expect(dev.chunks.length).toBe(1);
  });

  it("slow-line and baud: output paced at baud/10 bytes per second", async () => {
    dev = await suite.boot({ baud: 115200 });
    await dev.at("ATE0");
    dev.modem.control("slow-line 2400");
    const t0 = performance.now();
    await dev.at('AT+COPS?'); // 37 bytes at 240 B/s: about 150 ms
    const slow = performance.now() - t0;
    expect(slow).toBeGreaterThan(120);
    dev.modem.control("slow-line 0");
    const t1 = performance.now();
    await dev.at('AT+COPS?');
    expect(performance.now() - t1).toBeLessThan(60);
  });
});

describe("fault syntax", () => {
  it("parses both spellings and rejects nonsense", () => {
    expect(parseFault("AT#FAULT=BROKER_DROP,2")).toEqual({ name: "broker-drop", clientId: 2 });
    expect(parseFault("broker-drop")).toEqual({ name: "broker-drop" });
    expect(parseFault("silence 2.5")).toEqual({ name: "silence", seconds: 2.5 });
    expect(parseFault("split-writes off")).toEqual({ name: "split-writes", on: false });
    expect(parseFault("slow-line 1200")).toEqual({ name: "slow-line", baud: 1200 });
    expect(parseFault("broker-drop 3")).toBeNull();
    expect(parseFault("reboot now")).toBeNull();
    expect(parseFault("AT+CSQ")).toBeNull();
  });

  it("answers ERROR to an unknown side-channel fault", async () => {
    dev = await suite.boot({});
    await dev.at("ATE0");
    expect(await dev.at("AT#FAULT=meteor")).toBe("\r\nERROR\r\n");
  });
});

describe("connect edge cases", () => {
  it("MQTTCLOSE during a connect abandons it: only +MQTTCLOSE: id,1 follows", async () => {
    // A broker that accepts TCP and never answers CONNECT.
    const mute = createServer(() => {});
    mute.listen(0, "127.0.0.1");
    await once(mute, "listening");
    const { port } = mute.address() as AddressInfo;
    dev = await suite.boot({ openResult: "immediate" });
    await dev.at("ATE0");
    await dev.at("AT+MIPCALL=1", /\+MIPCALL: [\d.]+\r\n$/);
    expect(await dev.at(`AT+MQTTOPEN=1,"127.0.0.1",${port},1,60`)).toBe("\r\nOK\r\n");
    expect(await dev.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 2\r\n\r\nOK\r\n");
    expect(await dev.at("AT+MQTTCLOSE=1", /\+MQTTCLOSE: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTCLOSE: 1,1\r\n");
    await sleep(30);
    expect(dev.out).toBe("");
    expect(await dev.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
    mute.close();
  });

  it("keeps at most readQueueLimit mode-1 messages per id", async () => {
    const d = await connected({ readQueueLimit: 2 });
    await d.at("AT+MQTTCONF=1");
    await d.at('AT+MQTTSUB=1,"q",0', /\+MQTTSUB: 1,1\r\n$/);
    const p = await peer(suite.broker.url);
    for (const n of ["1", "2", "3"]) await p.publishAsync("q", n);
    await d.waitFor(/(\+MQTTMSGI: 1,0,1,1\r\n[\s\S]*){2}/);
    await sleep(30);
    expect(d.take().match(/MQTTMSGI/g)?.length).toBe(2);
    expect(await d.at("AT+MQTTREAD=1")).toBe('\r\n+MQTTREAD: 1,0,1,1,"q","1"\r\n\r\nOK\r\n');
    expect(await d.at("AT+MQTTREAD=1")).toBe('\r\n+MQTTREAD: 1,0,1,1,"q","2"\r\n\r\nOK\r\n');
    expect(await d.at("AT+MQTTREAD=1")).toBe("\r\n+MQTTREAD: 1,0,0,0\r\n\r\nOK\r\n");
    await p.endAsync();
  });

  it("fails the open, not leaving a stuck slot, when the broker URL is unusable", async () => {
    dev = await suite.boot({ broker: "bogus://nowhere" });
    await dev.at("ATE0");
    await dev.at("AT+MIPCALL=1", /\+MIPCALL: [\d.]+\r\n$/);
    expect(await dev.at('AT+MQTTOPEN=1,"h",1883,1,60', /(ERROR|\+MQTTOPEN: 1,0)\r\n$/)).toMatch(/^\r\n(ERROR|OK\r\n\r\n\+MQTTOPEN: 1,0)\r\n$/);
    expect(await dev.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
  });
});
