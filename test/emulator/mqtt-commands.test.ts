/** Every AT+MQTT* command form against an in-process aedes broker. */
import { describe, expect, it } from "vitest";
import { type Device, emulatorSuite, peer } from "./harness.ts";

const suite = emulatorSuite();
let dev: Device | undefined;

async function ready(): Promise<Device> {
  dev = await suite.boot({ broker: suite.broker.url });
  await dev.at("ATE0");
  return dev;
}

describe("test forms", () => {
  it("answers every =? with the supported ranges", async () => {
    const d = await ready();
    const cases: [string, string][] = [
      ["AT+MQTTUSER=?", "+MQTTUSER: (1,2),128,128,23"],
      ["AT+MQTTOPEN=?", "+MQTTOPEN: (1,2),(255),(1-65535),(0,1),(1-300)"],
      ["AT+MQTTCLOSE=?", "+MQTTCLOSE: (1,2)"],
      ["AT+MQTTSUB=?", "+MQTTSUB: (1,2),255,(0-2)"],
      ["AT+MQTTUNSUB=?", "+MQTTUNSUB: (1,2),255"],
      ["AT+MQTTPUB=?", "+MQTTPUB: (1,2),255,(0-2),(0,1),1024"],
      ["AT+MQTTCONF=?", "+MQTTCONF: (0,1)"],
      ["AT+MQTTREAD=?", "+MQTTREAD: (1,2)"],
      ["AT+MQTTWILL=?", "+MQTTWILL: (1,2),255,(0-2),(0,1),1024"],
    ];
    for (const [cmd, info] of cases) expect(await d.at(cmd)).toBe(`\r\n${info}\r\n\r\nOK\r\n`);
  });
});

describe("MQTTUSER", () => {
  it("stores, queries and validates lengths 128/128/23", async () => {
    const d = await ready();
    expect(await d.at("AT+MQTTUSER?")).toBe("\r\nOK\r\n");
    expect(await d.at('AT+MQTTUSER=1,"u","p","cid"')).toBe("\r\nOK\r\n");
    expect(await d.at('AT+MQTTUSER=2,"u2","p2"')).toBe("\r\nOK\r\n");
    expect(await d.at("AT+MQTTUSER?")).toBe('\r\n+MQTTUSER: 1,"u","p","cid"\r\n+MQTTUSER: 2,"u2","p2"\r\n\r\nOK\r\n');
    const ok = `AT+MQTTUSER=1,"${"u".repeat(128)}","${"p".repeat(128)}","${"c".repeat(23)}"`;
    expect(await d.at(ok)).toBe("\r\nOK\r\n");
    for (const bad of [
      `AT+MQTTUSER=1,"${"u".repeat(129)}","p"`,
      `AT+MQTTUSER=1,"u","${"p".repeat(129)}"`,
      `AT+MQTTUSER=1,"u","p","${"c".repeat(24)}"`,
      'AT+MQTTUSER=3,"u","p"',
      'AT+MQTTUSER=1,u,"p"',
      'AT+MQTTUSER=1,"u"',
    ]) {
      expect(await d.at(bad)).toBe("\r\nERROR\r\n");
    }
  });
});

describe("MQTTOPEN / MQTTCLOSE", () => {
  it("opens, queries free ids, closes", async () => {
    const d = await ready();
    expect(await d.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
    expect(await d.at("AT+MQTTCLOSE?")).toBe("\r\n+MQTTCLOSE: 0\r\n\r\nOK\r\n");
    // No data call yet: not allowed.
    expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60')).toBe("\r\nERROR\r\n");
    // Both ids default to the IMEI as MQTT client id; distinct ids keep the broker from
    // treating the second connection as a takeover of the first.
    await d.at('AT+MQTTUSER=2,"","","second"');
    await d.connect(1);
    expect(await d.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 2\r\n\r\nOK\r\n");
    expect(await d.at("AT+MQTTCLOSE?")).toBe("\r\n+MQTTCLOSE: 1\r\n\r\nOK\r\n");
    expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60')).toBe("\r\nERROR\r\n");
    const r = await d.at('AT+MQTTOPEN=2,"h",1883,0,300', /\+MQTTOPEN: 2,1\r\n$/);
    expect(r).toBe("\r\nOK\r\n\r\n+MQTTOPEN: 2,1\r\n");
    expect(await d.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 0\r\n\r\nOK\r\n");
    expect(await d.at("AT+MQTTCLOSE=1", /\+MQTTCLOSE: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTCLOSE: 1,1\r\n");
    expect(await d.at("AT+MQTTCLOSE=1")).toBe("\r\nERROR\r\n");
    expect(await d.at("AT+MQTTCLOSE?")).toBe("\r\n+MQTTCLOSE: 2\r\n\r\nOK\r\n");
  });

  it("rejects out-of-range arguments", async () => {
    const d = await ready();
    await d.at("AT+MIPCALL=1");
    await d.waitFor(/\+MIPCALL: [\d.]+\r\n/);
    for (const bad of [
      'AT+MQTTOPEN=0,"h",1883,1,60',
      'AT+MQTTOPEN=1,"",1883,1,60',
      `AT+MQTTOPEN=1,"${"h".repeat(256)}",1883,1,60`,
      'AT+MQTTOPEN=1,"h",0,1,60',
      'AT+MQTTOPEN=1,"h",65536,1,60',
      'AT+MQTTOPEN=1,"h",1883,2,60',
      'AT+MQTTOPEN=1,"h",1883,1,0',
      'AT+MQTTOPEN=1,"h",1883,1,301',
      // The manual has five fields: a sixth (some firmware's TLS flag) is refused.
      'AT+MQTTOPEN=1,"h",1883,1,60,0',
      'AT+MQTTOPEN=1,"h",1883,1,60,',
      'AT+MQTTOPEN=1,1,1883,1,60',
      'AT+MQTTOPEN=1,"h","1883",1,60',
      'AT+MQTTOPEN=1,"h",1883,1',
    ]) {
      expect(await d.at(bad)).toBe("\r\nERROR\r\n");
    }
  });

  it("with tlsField, takes a sixth field equal to it and nothing else", async () => {
    for (const tls of [1, 2] as const) {
      const d = await suite.boot({ broker: suite.broker.url, tlsField: tls });
      await d.connect(1, `,${tls}`);
      for (const bad of [`AT+MQTTOPEN=2,"h",1883,1,60,${3 - tls}`, 'AT+MQTTOPEN=2,"h",1883,1,60,0', 'AT+MQTTOPEN=2,"h",1883,1,60,', `AT+MQTTOPEN=2,"h",1883,1,60,${tls},${tls}`, `AT+MQTTOPEN=2,"h",1883,1,60,"${tls}"`]) {
        expect(await d.at(bad)).toBe("\r\nERROR\r\n");
      }
      expect(await d.at("AT+MQTTCLOSE=1", /\+MQTTCLOSE: 1,1\r\n$/)).toContain("OK");
      // The manual's five fields still open.
      expect(await d.at('AT+MQTTOPEN=1,"h",1883,1,60', /\+MQTTOPEN: 1,1\r\n$/)).toContain("OK");
    }
  });

  it("reports a network failure as OK then +MQTTOPEN: id,0", async () => {
    dev = await suite.boot({});
    await dev.at("ATE0");
    await dev.at("AT+MIPCALL=1");
    await dev.waitFor("+MIPCALL: ");
    // Port 1 on loopback: nothing listens, the connection is refused.
    const r = await dev.at('AT+MQTTOPEN=1,"127.0.0.1",1,1,60', /\+MQTTOPEN: 1,0\r\n$/);
    expect(r).toBe("\r\nOK\r\n\r\n+MQTTOPEN: 1,0\r\n");
    expect(await dev.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
  });
});

describe("MQTTSUB / MQTTUNSUB / MQTTPUB quoted", () => {
  it("subscribes, receives its own publish in mode 0, unsubscribes", async () => {
    const d = await ready();
    await d.connect(1);
    expect(await d.at("AT+MQTTSUB?")).toBe("\r\nERROR\r\n");
    expect(await d.at('AT+MQTTSUB=1,"a/b",1', /\+MQTTSUB: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTSUB: 1,1\r\n");
    await d.at('AT+MQTTPUB=1,"a/b",1,0,"hello world"');
    const out = await d.waitFor(/\+MQTTMSG: 1,1,"a\/b","hello world"\r\n/);
    expect(out).toContain("\r\n+MQTTPUB: 1,1\r\n");
    d.take();
    expect(await d.at('AT+MQTTUNSUB=1,"a/b"', /\+MQTTUNSUB: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTUNSUB: 1,1\r\n");
    expect(await d.at('AT+MQTTPUB=1,"a/b",0,0,""', /\+MQTTPUB: 1,1\r\n$/)).toBe("\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n");
  });

  it("needs an open connection and validates every field", async () => {
    const d = await ready();
    expect(await d.at('AT+MQTTSUB=1,"t",0')).toBe("\r\nERROR\r\n");
    expect(await d.at('AT+MQTTUNSUB=1,"t"')).toBe("\r\nERROR\r\n");
    expect(await d.at('AT+MQTTPUB=1,"t",0,0,"x"')).toBe("\r\nERROR\r\n");
    expect(await d.at('AT+MQTTPUB=1,"t",0,0,5')).toBe("\r\nERROR\r\n");
    await d.connect(1);
    for (const bad of [
      'AT+MQTTSUB=1,"",0',
      `AT+MQTTSUB=1,"${"t".repeat(256)}",0`,
      'AT+MQTTSUB=1,"t",3',
      'AT+MQTTSUB=1,"t\x01",0',
      'AT+MQTTUNSUB=1,""',
      'AT+MQTTPUB=1,"t",3,0,"x"',
      'AT+MQTTPUB=1,"t",0,2,"x"',
      `AT+MQTTPUB=1,"t",0,0,"${"x".repeat(1025)}"`,
      'AT+MQTTPUB=1,"t",0,0,"a"b"',
      'AT+MQTTPUB=1,"t",0,0,"\x80"',
      "AT+MQTTPUB=1,\"t\",0,0,0",
      "AT+MQTTPUB=1,\"t\",0,0,1025",
    ]) {
      expect(await d.at(bad), bad).toBe("\r\nERROR\r\n");
    }
    expect(d.modem.log.payloads).toEqual([]);
  });

  it("passes qos and retain through to the broker", async () => {
    const d = await ready();
    await d.connect(1);
    await d.at('AT+MQTTPUB=1,"keep/me",1,1,"kept"', /\+MQTTPUB: 1,1\r\n$/);
    const p = await peer(suite.broker.url);
    const got = new Promise<{ retain: boolean; payload: string }>((resolve) =>
      p.on("message", (_t, payload, packet) => resolve({ retain: packet.retain, payload: payload.toString() })),
    );
    await p.subscribeAsync("keep/me", { qos: 1 });
    expect(await got).toEqual({ retain: true, payload: "kept" });
    await p.publishAsync("keep/me", "", { retain: true });
    await p.endAsync();
  });
});

describe("MQTTCONF and mode 1", () => {
  it("switches mode, announces with +MQTTMSGI and reads by length", async () => {
    const d = await ready();
    expect(await d.at("AT+MQTTCONF?")).toBe("\r\n+MQTTCONF: 0\r\n\r\nOK\r\n");
    expect(await d.at("AT+MQTTCONF=1")).toBe("\r\nOK\r\n");
    expect(await d.at("AT+MQTTCONF?")).toBe("\r\n+MQTTCONF: 1\r\n\r\nOK\r\n");
    expect(await d.at("AT+MQTTCONF=2")).toBe("\r\nERROR\r\n");
    expect(await d.at("AT+MQTTREAD=1")).toBe("\r\n+MQTTREAD: 1,0,0,0\r\n\r\nOK\r\n");
    await d.connect(1);
    await d.at('AT+MQTTSUB=1,"bin/#",2', /\+MQTTSUB: 1,1\r\n$/);
    const p = await peer(suite.broker.url);
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await p.publishAsync("bin/all", payload, { qos: 2 });
    await d.waitFor("\r\n+MQTTMSGI: 1,2,7,256\r\n");
    d.take();
    d.send("AT+MQTTREAD=1\r");
    await d.waitFor(/OK\r\n$/);
    const expected = Buffer.concat([
      Buffer.from('\r\n+MQTTREAD: 1,2,7,256,"bin/all","', "latin1"),
      payload,
      Buffer.from('"\r\n\r\nOK\r\n', "latin1"),
    ]);
    expect(Buffer.from(d.take(), "latin1").equals(expected)).toBe(true);
    expect(await d.at("AT+MQTTREAD=1")).toBe("\r\n+MQTTREAD: 1,0,0,0\r\n\r\nOK\r\n");
    await p.endAsync();
  });

  it("with readLayout two-line, puts the record on the line after its header", async () => {
    dev = await suite.boot({ broker: suite.broker.url, readLayout: "two-line" });
    const d = dev;
    await d.connect(1);
    expect(await d.at("AT+MQTTCONF=1")).toBe("\r\nOK\r\n");
    await d.at('AT+MQTTSUB=1,"two/#",1', /\+MQTTSUB: 1,1\r\n$/);
    const p = await peer(suite.broker.url);
    await p.publishAsync("two/t", Buffer.from('a"\r\nb', "latin1"), { qos: 1 });
    await d.waitFor("\r\n+MQTTMSGI: 1,1,5,5\r\n");
    d.take();
    expect(await d.at("AT+MQTTREAD=1")).toBe('\r\n+MQTTREAD: 1,1,5,5\r\n"two/t","a"\r\nb"\r\n\r\nOK\r\n');
    expect(await d.at("AT+MQTTREAD=1")).toBe("\r\n+MQTTREAD: 1,0,0,0\r\n\r\nOK\r\n");
    await p.endAsync();
  });

  it("formats mode 0 with spaces when urcSpaces is set", async () => {
    dev = await suite.boot({ broker: suite.broker.url, urcSpaces: true });
    await dev.connect(1);
    await dev.at('AT+MQTTSUB=1,"sp",0', /\+MQTTSUB: 1,1\r\n$/);
    await dev.at('AT+MQTTPUB=1,"sp",0,0,"123"');
    await dev.waitFor('\r\n+MQTTMSG: 1, 0, "sp", "123"\r\n');
  });
});

describe("only the manual's forms", () => {
  it("refuses every form the manual does not define, and wrong field types or counts", async () => {
    const d = await ready();
    await d.connect(1);
    for (const bad of [
      // Forms the manual lacks.
      "AT+MQTTUSER",
      "AT+MQTTOPEN",
      "AT+MQTTCLOSE",
      "AT+MQTTSUB?",
      "AT+MQTTSUB",
      "AT+MQTTUNSUB?",
      "AT+MQTTPUB?",
      "AT+MQTTPUB",
      "AT+MQTTCONF",
      "AT+MQTTREAD?",
      "AT+MQTTREAD",
      "AT+MQTTWILL",
      "AT+MQTTBREAK?",
      "AT+MQTTBREAK=1,1",
      "AT+MQTTMSG?",
      "AT+MQTTMSGI=?",
      // Extra, missing or mistyped fields.
      'AT+MQTTUSER=1,"u","p","c","x"',
      "AT+MQTTUSER=1,1,2",
      'AT+MQTTCLOSE=1,1',
      "AT+MQTTCLOSE=\"1\"",
      'AT+MQTTSUB=1,"t",1,0',
      'AT+MQTTSUB=1,t,1',
      'AT+MQTTSUB=1,"t"',
      'AT+MQTTUNSUB=1,"t",1',
      'AT+MQTTPUB=1,"t",1,0',
      'AT+MQTTPUB=1,"t",1,0,"x",1',
      'AT+MQTTPUB=1,"t","1",0,"x"',
      'AT+MQTTPUB=-1,"t",1,0,"x"',
      "AT+MQTTCONF=0,1",
      'AT+MQTTCONF="1"',
      "AT+MQTTREAD=1,1",
      "AT+MQTTREAD=0",
      "AT+MQTTREAD=3",
      "AT+MQTTCONF= 1x",
    ]) {
      expect(await d.at(bad), bad).toBe("\r\nERROR\r\n");
    }
    expect(d.modem.log.payloads).toEqual([]);
  });

  it("refuses MQTT commands before the data call when mqttNeedsDataCall is set", async () => {
    dev = await suite.boot({ broker: suite.broker.url, mqttNeedsDataCall: true });
    await dev.at("ATE0");
    for (const cmd of ["AT+MQTTCONF=1", "AT+MQTTCONF?", 'AT+MQTTUSER=1,"u","p"', "AT+MQTTOPEN?", "AT+MQTTREAD=1", "AT+MQTTPUB=?"]) {
      expect(await dev.at(cmd), cmd).toBe("\r\nERROR\r\n");
    }
    expect(await dev.at("AT+CSQ")).toContain("OK");
    await dev.at("AT+MIPCALL=1", /\+MIPCALL: [\d.]+\r\n$/);
    expect(await dev.at("AT+MQTTCONF=1")).toBe("\r\nOK\r\n");
    expect(await dev.at("AT+MQTTOPEN?")).toBe("\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
    // A lost call brings the refusal back; the fault switches it off.
    await dev.at("AT+MIPCALL=0", /\+MIPCALL: 0\r\n$/);
    expect(await dev.at("AT+MQTTCONF?")).toBe("\r\nERROR\r\n");
    expect(dev.modem.control("mqtt-needs-data-call off")).toBe(true);
    expect(await dev.at("AT+MQTTCONF?")).toBe("\r\n+MQTTCONF: 1\r\n\r\nOK\r\n");
  });
});

describe("secrets", () => {
  it("keeps the password of AT+MQTTUSER out of the logged text, stray bytes before it or not", async () => {
    const d = await ready();
    await d.at('AT+MQTTUSER=1,"user","S3cretPW","dev-1"');
    // Not a command (it does not start with AT): no answer, but it is logged.
    d.send('zzAT+MQTTUSER=2,"other","S3cretPW"\r');
    await d.at('AT+MQTTUSER=1,S3cretPW');
    const texts = d.modem.log.lines.map((l) => l.text);
    expect(texts.join("\n")).not.toContain("S3cretPW");
    expect(texts).toContain('AT+MQTTUSER=1,"user",<redacted>');
    expect(texts).toContain('zzAT+MQTTUSER=2,"other",<redacted>');
    expect(texts).toContain("AT+MQTTUSER=<redacted>");
    // The bytes stay exact for tests that compare the wire.
    expect(Buffer.from(d.modem.log.lines.find((l) => l.text.startsWith('AT+MQTTUSER=1,"user"'))!.bytes).toString()).toBe(
      'AT+MQTTUSER=1,"user","S3cretPW","dev-1"',
    );
  });
});
