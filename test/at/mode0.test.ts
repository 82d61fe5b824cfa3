import { describe, expect, it } from "vitest";
import { Recorder } from "./recorder.ts";
import { bytesOf, splitAt } from "../support/mock-uart.ts";
import { cutsOf } from "./cuts.ts";

// Mode 0 (`AT+MQTTCONF=0`) reports a message as one line, `+MQTTMSG: <id>,<qos>,"topic","payload"`,
// with the payload unescaped: the line is all there is to frame it by.
describe("a mode-0 +MQTTMSG line is delivered as it is", () => {
  it("quotes, commas, a `>`, `OK` and `AT` inside the payload, whatever the reads, with a command waiting for its prompt", () => {
    const line = '+MQTTMSG: 1,1,"a/b","{"k":"v,w"} > OK AT+X ERROR"';
    const input = `\r\n${line}\r\n`;
    for (const cuts of cutsOf(input, 5)) {
      const r = new Recorder();
      r.queue({ line: 'AT+MQTTPUB=1,"t",1,0,2', data: new Uint8Array([1, 2]) });
      r.feed(splitAt(bytesOf(input), cuts));
      expect(r.events).toEqual([`urc +MQTTMSG ${line.slice(10)}`]);
      expect(r.uart.text()).toBe('AT+MQTTPUB=1,"t",1,0,2\r');
    }
  });

  it("cannot frame a payload holding CR or LF: the line ends there and the rest reads as lines (the limit of mode 0; mode 1 reads by length)", () => {
    const r = new Recorder();
    r.feed([bytesOf('\r\n+MQTTMSG: 1,0,"t","hi\r\nRDY\r\n+MQTTBREAK: 1,1"\r\n')]);
    expect(r.events).toEqual(['urc +MQTTMSG 1,0,"t","hi', "urc RDY RDY", 'urc +MQTTBREAK 1,1"']);
  });
});
