import { describe, expect, it } from "vitest";
import type { QueryAnswer } from "cellmqtt/modem/query";
import { ModemRig } from "../support/modem-rig.ts";

function ask(rig: ModemRig, name: Parameters<ModemRig["modem"]["query"]>[0]): QueryAnswer {
  let answer: QueryAnswer | null = null;
  rig.modem.query(name, (a) => (answer = a));
  rig.run(500);
  if (answer === null) throw new Error(`no answer to AT+MQTT${name}?`);
  return answer;
}

describe("query forms (AT+MQTTxxx?)", () => {
  it("reads what the modem holds per client id: credentials, will, message mode, free and open ids", () => {
    const rig = new ModemRig();
    rig.connected({ username: "pump", password: "pw", clientId: "dev1", will: { topic: "w/t", payload: "bye", qos: 1, retain: true } });
    expect(ask(rig, "USER")).toEqual({ ok: true, lines: ['1,"pump","pw","dev1"'], error: "" });
    expect(ask(rig, "WILL").lines).toEqual(['1,"w/t",1,1,"bye"']);
    expect(ask(rig, "CONF").lines).toEqual(["1"]);
    expect(ask(rig, "OPEN").lines).toEqual(["2"]);
    expect(ask(rig, "CLOSE").lines).toEqual(["1"]);
    expect(rig.fake.lines.slice(-5)).toEqual(["AT+MQTTUSER?", "AT+MQTTWILL?", "AT+MQTTCONF?", "AT+MQTTOPEN?", "AT+MQTTCLOSE?"]);
  });

  it("leaves an async +MQTTOPEN status that arrives during the query to the session", () => {
    const rig = new ModemRig();
    rig.fake.when(/^AT\+MQTTOPEN\?$/, (r) => {
      r.line("+MQTTOPEN: 2,0");
      r.line("+MQTTOPEN: 1,2");
      r.final("OK");
    });
    const answer = ask(rig, "OPEN");
    expect(answer.lines).toEqual(["1,2"]);
  });

  it("reports a query the firmware does not know", () => {
    const rig = new ModemRig();
    rig.fake.when(/^AT\+MQTTWILL\?$/, (r) => r.final("ERROR"));
    expect(ask(rig, "WILL")).toEqual({ ok: false, lines: [], error: "ERROR" });
  });
});
