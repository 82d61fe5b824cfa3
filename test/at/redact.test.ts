import { describe, expect, it } from "vitest";
import { lineText, redact } from "cellmqtt/at/redact";
import { Recorder } from "./recorder.ts";
import { bytesOf, splitAt } from "../support/mock-uart.ts";
import { cutsOf } from "./cuts.ts";
import { ModemRig } from "../support/modem-rig.ts";

describe("redact", () => {
  it.each([
    ['AT+MQTTUSER=1,"user","S3cretPW","cid"', 'AT+MQTTUSER=1,"user",<redacted>'],
    ['zzAT+MQTTUSER=1,"user","S3cretPW","cid"', 'zzAT+MQTTUSER=1,"user",<redacted>'],
    ['at+mqttuser=2, "u", "S3cretPW"', 'at+mqttuser=2, "u",<redacted>'],
    ['+MQTTUSER: 1,"user","S3cretPW","cid"', '+MQTTUSER: 1,"user",<redacted>'],
    ['AT+MQTTUSER=1,user,"S3cretPW"', "AT+MQTTUSER=1,<redacted>"],
    ['AT+MQTTUSER=1,"us', 'AT+MQTTUSER=1,"us<redacted>'],
    ['AT+MQTTUSER=1,"user"S3cretPW', 'AT+MQTTUSER=1,"user"<redacted>'],
    ["AT+MQTTUSER?", "AT+MQTTUSER?"],
    ["AT+MQTTUSER=?", "AT+MQTTUSER=?"],
    ["+MQTTUSER: 1", "+MQTTUSER: 1"],
    ['AT+MQTTOPEN=1,"host",1883,0,60', 'AT+MQTTOPEN=1,"host",1883,0,60'],
  ])("%s", (line, shown) => {
    expect(redact(line)).toBe(shown);
  });

  it("marks a line the engine cut before its secret", () => {
    const b = bytesOf('xxAT+MQTTUSER=1,"user",');
    expect(lineText(b, 2, b.length)).toBe('AT+MQTTUSER=1,"user",<redacted>');
  });
});

describe("the engine never hands a password to a log or an owner", () => {
  const echo = '\r\nzzAT+MQTTUSER=1,"user","S3cretPW","cid"\r\n\r\nOK\r\n';

  it("an echo after stray bytes, while its command waits: counted as an echo, reported cut before the password", () => {
    for (const cuts of cutsOf(echo, 3)) {
      const r = new Recorder();
      r.queue({ line: 'AT+MQTTUSER=1,"user","S3cretPW","cid"' });
      r.feed(splitAt(bytesOf(echo), cuts));
      expect(r.events).toEqual(['notice unhandled line zzAT+MQTTUSER=1,"user",', "final 1 OK"]);
      expect(r.engine.stats[1]).toBe(1);
    }
  });

  it("with no command waiting, and as a stale answer while out of step", () => {
    const r = new Recorder();
    r.feed([bytesOf('\r\n\x00AT+MQTTUSER=1,"u","S3cretPW"\r\n')]);
    r.queue({ line: "AT+MQTTUSER?", response: "+MQTTUSER", timeoutMs: 100 });
    r.clock.advance(100);
    r.feed([bytesOf('\r\n+MQTTUSER: 1,"u","S3cretPW"\r\n\r\nOK\r\n')]);
    expect(r.events.join("\n")).not.toContain("S3cretPW");
    expect(r.events).toContain('notice stale line dropped +MQTTUSER: 1,"u",');
  });
});

describe("the modem layer's log", () => {
  it("shows an echoed AT+MQTTUSER after stray bytes with its password redacted", () => {
    const rig = new ModemRig();
    rig.connected({ username: "user", password: "S3cretPW" });
    rig.fake.emit('\r\nzzAT+MQTTUSER=1,"user","S3cretPW","cid"\r\n');
    rig.run(100);
    expect(rig.logs.join("\n")).not.toContain("S3cretPW");
    expect(rig.logs.some((l) => l.endsWith('zzAT+MQTTUSER=1,"user",<redacted>'))).toBe(true);
  });
});
