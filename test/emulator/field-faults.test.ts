/**
 * The faults field modems show that break a host's assumptions: a stall that releases late
 * answers, URCs lost or repeated, a data call or a connection lost without a word, a reboot
 * without RDY, a late prompt, and a message larger than any host buffer.
 */
import { describe, expect, it } from "vitest";
import { parseFault } from "../../hosts/emulator/index.ts";
import { type Device, emulatorSuite, sleep } from "./harness.ts";

const suite = emulatorSuite();

async function connected(options = {}): Promise<Device> {
  const d = await suite.boot({ broker: suite.broker.url, ...options });
  await d.connect(1);
  return d;
}

describe("stall", () => {
  it("holds answers and URCs, reads no input, then releases everything at once", async () => {
    const d = await connected();
    d.modem.control("stall 0.3");
    d.send("AT+CSQ\r");
    d.modem.inject({ name: "broker-drop", clientId: 1 });
    d.send("AT+MQTTOPEN?\r");
    await sleep(200);
    expect(d.out).toBe("");
    expect(d.modem.log.commands().at(-1)).toBe('AT+MQTTOPEN=1,"broker.example",1883,1,60');
    await d.waitFor("+MQTTOPEN: 1,2\r\n\r\nOK\r\n", 1000);
    expect(d.take()).toBe("\r\n+MQTTBREAK: 1,1\r\n\r\n+MQTTCLOSE: 1,1\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
  });

  it("turns a command sent after a length form into payload when the prompt was held", async () => {
    const d = await connected();
    d.modem.control("stall 0.2");
    d.send('AT+MQTTPUB=1,"s",0,0,6\r');
    // The host gave up waiting for ">" and went on with the next command.
    d.send("AT+CSQ\r");
    await d.waitFor(">\r\nOK\r\n", 1000);
    const [p] = d.modem.log.payloads;
    expect(Buffer.from(p!.bytes).toString("latin1")).toBe("AT+CSQ");
    expect(p!.earlyBytes).toBe(6);
  });
});

describe("lost and duplicated URCs", () => {
  it("loses the next +MQTTPUB only, and repeats the next one when asked", async () => {
    const d = await connected();
    d.modem.control("lose-urc MQTTPUB");
    expect(await d.at('AT+MQTTPUB=1,"u",1,0,"a"')).toBe("\r\nOK\r\n");
    await sleep(60);
    expect(d.take()).toBe("");
    expect(await d.at('AT+MQTTPUB=1,"u",1,0,"b"', /\+MQTTPUB: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n");
    d.send("AT#FAULT=dup-urc,+MQTTPUB\r");
    await d.waitFor("OK\r\n");
    expect(await d.at('AT+MQTTPUB=1,"u",1,0,"c"', /(\r\n\+MQTTPUB: 1,1\r\n){2}$/)).toBe("\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n\r\n+MQTTPUB: 1,1\r\n");
    expect(d.modem.urcFaults.lost).toEqual(["+MQTTPUB"]);
    expect(d.modem.urcFaults.duplicated).toEqual(["+MQTTPUB"]);
  });

  it("works for any kind: +MQTTBREAK lost, +MIPCALL repeated, a count of +MQTTSUB", async () => {
    const d = await connected();
    d.modem.inject({ name: "lose-urc", urc: "+MQTTBREAK" });
    d.modem.inject({ name: "broker-drop", clientId: 1 });
    await d.waitFor("+MQTTCLOSE: 1,1\r\n");
    expect(d.take()).toBe("\r\n+MQTTCLOSE: 1,1\r\n");
    d.modem.inject({ name: "dup-urc", urc: "+MIPCALL" });
    await d.at("AT+MIPCALL=0", /\+MIPCALL: 0\r\n\r\n\+MIPCALL: 0\r\n$/);
    await d.at("AT+MIPCALL=1", /\+MIPCALL: [\d.]+\r\n$/);
    await d.at('AT+MQTTOPEN=1,"h",1883,1,60', /\+MQTTOPEN: 1,1\r\n$/);
    d.modem.control("lose-urc MQTTSUB 2");
    await d.at('AT+MQTTSUB=1,"a",0');
    await d.at('AT+MQTTSUB=1,"b",0');
    expect(await d.at('AT+MQTTSUB=1,"c",0', /\+MQTTSUB: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTSUB: 1,1\r\n");
  });
});

describe("losses without a word", () => {
  it("broker-drop-silent: the connection is gone, nothing is reported, a publish is refused", async () => {
    const d = await connected();
    d.modem.control("broker-drop-silent 1");
    await sleep(60);
    expect(d.take()).toBe("");
    expect(await d.at("AT+MQTTCLOSE?")).toBe("\r\n+MQTTCLOSE: 0\r\n\r\nOK\r\n");
    expect(await d.at('AT+MQTTPUB=1,"t",1,0,"x"')).toBe("\r\nERROR\r\n");
    expect(await d.at("AT+MIPCALL?")).toBe("\r\n+MIPCALL: 1,10.2.83.148\r\n\r\nOK\r\n");
  });

  it("mipcall-lost-silent: the data call and the connection are gone without a URC", async () => {
    const d = await connected();
    d.modem.control("mipcall-lost-silent");
    await sleep(60);
    expect(d.take()).toBe("");
    expect(await d.at("AT+MIPCALL?")).toBe("\r\n+MIPCALL: 0\r\n\r\nOK\r\n");
    expect(await d.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
  });

  it("reboot-silent: state lost and echo back on, but no RDY", async () => {
    const d = await connected({ rebootDelayMs: 30 });
    d.modem.control("reboot-silent");
    await sleep(80);
    expect(d.take()).toBe("");
    expect(await d.at("AT")).toBe("AT\r\r\nOK\r\n");
    expect(await d.at("AT+MIPCALL?")).toBe("AT+MIPCALL?\r\r\n+MIPCALL: 0\r\n\r\nOK\r\n");
  });
});

describe("late prompt", () => {
  it("sends > only after the delay, once", async () => {
    const d = await connected();
    d.modem.control("late-prompt 150");
    d.send('AT+MQTTPUB=1,"t",0,0,2\r');
    await sleep(100);
    expect(d.out).toBe("");
    await d.waitFor(">");
    d.send("hi");
    await d.waitFor("\r\n+MQTTPUB: 1,1\r\n");
    d.take();
    d.send('AT+MQTTPUB=1,"t",0,0,2\r');
    await d.waitFor(">", 50);
  });
});

describe("oversized message", () => {
  it("delivers a message longer than 5,120 bytes on a subscribed topic, in both modes", async () => {
    const d = await connected();
    d.modem.control("oversized 6000");
    await sleep(30);
    expect(d.take()).toBe("");
    await d.at('AT+MQTTSUB=1,"big/+",0', /\+MQTTSUB: 1,1\r\n$/);
    d.modem.control("oversized 6000");
    const out = await d.waitFor(/\+MQTTMSG: 1,0,"big\/big","[A-Z]{6000}"\r\n/);
    expect(out.length).toBeGreaterThan(6000);
    await d.at("AT+MQTTCONF=1");
    d.modem.inject({ name: "oversized", bytes: 7000, clientId: 1 });
    await d.waitFor("\r\n+MQTTMSGI: 1,0,7,7000\r\n");
    const read = await d.at("AT+MQTTREAD=1");
    expect(read.length).toBe('\r\n+MQTTREAD: 1,0,7,7000,"big/big","'.length + 7000 + '"\r\n\r\nOK\r\n'.length);
  });
});

describe("fault syntax of the field faults", () => {
  it("parses names and arguments, and refuses bad ones", () => {
    expect(parseFault("stall 5")).toEqual({ name: "stall", seconds: 5 });
    expect(parseFault("AT#FAULT=lose-urc,+mqttpub,3")).toEqual({ name: "lose-urc", urc: "+MQTTPUB", count: 3 });
    expect(parseFault("dup-urc MQTTMSGI")).toEqual({ name: "dup-urc", urc: "+MQTTMSGI" });
    expect(parseFault("lose-urc rdy")).toEqual({ name: "lose-urc", urc: "RDY" });
    expect(parseFault("lose-urc any 2")).toEqual({ name: "lose-urc", urc: "any", count: 2 });
    expect(parseFault("late-prompt 3000")).toEqual({ name: "late-prompt", ms: 3000 });
    expect(parseFault("mqtt-needs-data-call on")).toEqual({ name: "mqtt-needs-data-call", on: true });
    expect(parseFault("oversized 6000 2")).toEqual({ name: "oversized", bytes: 6000, clientId: 2 });
    expect(parseFault("broker-drop-silent 2")).toEqual({ name: "broker-drop-silent", clientId: 2 });
    for (const bad of ["stall", "lose-urc", "lose-urc MQTT-PUB", "lose-urc MQTTPUB 0", "late-prompt soon", "oversized 6000 3", "reboot-silent 1", "broker-drop-silent 3", "split-writes on 1"]) {
      expect(parseFault(bad), bad).toBeNull();
    }
  });
});
