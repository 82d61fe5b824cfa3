/** Boot, echo and the network bring-up commands, driven with raw AT bytes. */
import { afterEach, describe, expect, it } from "vitest";
import { Device } from "./harness.ts";

let dev: Device | undefined;
afterEach(async () => {
  await dev?.close();
  dev = undefined;
});

describe("boot and echo", () => {
  it("sends RDY and echoes until ATE0", async () => {
    dev = new Device({});
    dev.modem.start();
    await dev.waitFor("\r\nRDY\r\n");
    dev.take();
    dev.send("AT\r");
    await dev.waitFor("OK\r\n");
    expect(dev.take()).toBe("AT\r\r\nOK\r\n");
    dev.send("ATE0\r");
    await dev.waitFor("OK\r\n");
    expect(dev.take()).toBe("ATE0\r\r\nOK\r\n");
    expect(await dev.at("AT")).toBe("\r\nOK\r\n");
    expect(await dev.at("ATE1")).toBe("\r\nOK\r\n");
    expect(await dev.at("AT")).toBe("AT\r\r\nOK\r\n");
  });

  it("ignores input before RDY and logs it as ignored", async () => {
    dev = new Device({ bootDelayMs: 30 });
    dev.modem.start();
    dev.send("AT\r");
    await dev.waitFor("RDY");
    expect(dev.take()).toBe("\r\nRDY\r\n");
    expect(dev.modem.log.lines.map((l) => [l.kind, l.text])).toEqual([["ignored", "AT"]]);
  });

  it("echoes partial lines byte by byte as they arrive", async () => {
    dev = await Device.boot({});
    dev.send("A");
    dev.send("T");
    expect(dev.out).toBe("AT");
    dev.send("\r");
    await dev.waitFor("OK\r\n");
  });
});

describe("network commands", () => {
  it("answers the bring-up queries", async () => {
    dev = await Device.boot({});
    await dev.at("ATE0");
    expect(await dev.at("AT+CPIN?")).toBe("\r\n+CPIN: READY\r\n\r\nOK\r\n");
    expect(await dev.at("AT+CEREG?")).toBe("\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
    expect(await dev.at("AT+CGREG?")).toBe("\r\n+CGREG: 0,1\r\n\r\nOK\r\n");
    expect(await dev.at("AT+COPS?")).toBe('\r\n+COPS: 0,0,"CHN-UNICOM",7\r\n\r\nOK\r\n');
    expect(await dev.at("AT+CSQ")).toBe("\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    expect(await dev.at("AT+CGSN")).toBe("\r\n867959031234567\r\n\r\nOK\r\n");
    expect(await dev.at("at+cpin?")).toBe("\r\n+CPIN: READY\r\n\r\nOK\r\n");
  });

  it("dials and hangs up the data call", async () => {
    dev = await Device.boot({});
    await dev.at("ATE0");
    expect(await dev.at("AT+MIPCALL?")).toBe("\r\n+MIPCALL: 0\r\n\r\nOK\r\n");
    expect(await dev.at('AT+MIPCALL=1,"cmnet"')).toBe("\r\nOK\r\n");
    await dev.waitFor("\r\n+MIPCALL: 10.2.83.148\r\n");
    expect(await dev.at("AT+MIPCALL?")).toBe("\r\n+MIPCALL: 1,10.2.83.148\r\n\r\nOK\r\n");
    expect(await dev.at("AT+MIPCALL=1")).toBe("\r\nERROR\r\n");
    expect(await dev.at("AT+MIPCALL=0")).toBe("\r\nOK\r\n");
    await dev.waitFor("\r\n+MIPCALL: 0\r\n");
    expect(await dev.at("AT+MIPCALL=?")).toBe("\r\n+MIPCALL: (0,1)\r\n\r\nOK\r\n");
  });

  it("reports registration changes when CEREG n=1", async () => {
    dev = await Device.boot({});
    await dev.at("ATE0");
    await dev.at("AT+CEREG=1");
    dev.modem.inject({ name: "deregistered" });
    expect(dev.take()).toBe("\r\n+CEREG: 0\r\n");
    expect(await dev.at("AT+CEREG?")).toBe("\r\n+CEREG: 1,0\r\n\r\nOK\r\n");
    expect(await dev.at("AT+COPS?")).toBe("\r\n+COPS: 0\r\n\r\nOK\r\n");
    expect(await dev.at("AT+CSQ")).toBe("\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
  });

  it("answers ERROR to unknown and malformed commands, or +CME ERROR when asked", async () => {
    dev = await Device.boot({});
    await dev.at("ATE0");
    expect(await dev.at("AT+NOPE")).toBe("\r\nERROR\r\n");
    expect(await dev.at("AT+CEREG=5")).toBe("\r\nERROR\r\n");
    expect(await dev.at("AT+MQTTCONF=1,")).toBe("\r\nERROR\r\n");
    await dev.close();
    dev = await Device.boot({ errors: "cme" });
    await dev.at("ATE0");
    expect(await dev.at("AT+NOPE")).toBe("\r\n+CME ERROR: 4\r\n");
    expect(await dev.at("AT+CEREG=5")).toBe("\r\n+CME ERROR: 50\r\n");
    expect(await dev.at("AT+MQTTSUB=1,\"t\",0")).toBe("\r\n+CME ERROR: 3\r\n");
  });

  it("logs every line exactly, LF-only and CR-only terminators alike", async () => {
    dev = await Device.boot({});
    dev.send("ATE0\r\nAT+CSQ\nAT\r");
    await dev.waitFor(/OK\r\n[\s\S]*OK\r\n[\s\S]*OK\r\n/);
    expect(dev.modem.log.commands()).toEqual(["ATE0", "AT+CSQ", "AT"]);
    expect(dev.modem.log.lines.map((l) => l.terminator)).toEqual([13, 10, 13]);
  });

  it("shows an injected line end as an extra command in the log", async () => {
    dev = await Device.boot({});
    dev.send('ATE0\rAT+MQTTPUB=1,"a\rAT+MQTTCLOSE=1\r",0,0,"x"\r');
    // Two ERRORs; the tail does not start with AT, so like a real modem it gets no answer.
    await dev.waitFor(/(ERROR\r\n[\s\S]*){2}/);
    expect(dev.modem.log.commands()).toEqual(["ATE0", 'AT+MQTTPUB=1,"a', "AT+MQTTCLOSE=1", '",0,0,"x"']);
  });
});
