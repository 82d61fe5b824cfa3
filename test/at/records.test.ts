import { describe, expect, it } from "vitest";
import { STAT_RECORDS, STAT_RECORDS_CUT, STAT_RECORDS_MALFORMED, STAT_RECORDS_SKIPPED } from "cellmqtt/at/results";
import { cutsOf } from "./cuts.ts";
import { Recorder } from "./recorder.ts";
import { bytesOf, splitAt } from "../support/mock-uart.ts";

const hex = (s: string): string => Buffer.from(s, "latin1").toString("hex");
const told = (r: Recorder): string[] => r.events.filter((e) => !e.startsWith("notice"));


/** Queues `AT+MQTTREAD=1` and feeds `modem` cut every way; `check` sees each run. */
function everyWay(modem: string, check: (r: Recorder) => void, options: { payloadMax?: number } = {}): void {
  for (const cuts of cutsOf(modem, 11, 60, 16)) {
    const r = new Recorder(options);
    r.queue({ line: "AT+MQTTREAD=1", response: "+MQTTREAD" });
    r.feed(splitAt(bytesOf(modem), cuts));
    check(r);
  }
}

describe("+MQTTREAD records are framed by their lengths, always", () => {
  it("a record that arrives after its read was given up is still read by length: its payload is never taken for modem lines", () => {
    const payload = "\r\n+MQTTBREAK: 1,1\r\nOK\r\n";
    const late = `\r\n+MQTTREAD: 1,1,1,${payload.length}\r\n"t","${payload}"\r\n\r\nOK\r\n\r\n+MQTTMSGI: 1,1,1,1\r\n`;
    for (const cuts of cutsOf(late, 11, 60, 16)) {
      const r = new Recorder();
      r.queue({ line: "AT+MQTTREAD=1", response: "+MQTTREAD", timeoutMs: 1000 });
      r.clock.advance(1000);
      r.feed(splitAt(bytesOf(late), cuts));
      expect(told(r)).toEqual(["final 1 timeout", `record 1,1,1,${payload.length}`, `message "t" ${hex(payload)}`, "urc +MQTTMSGI 1,1,1,1"]);
      expect(r.engine.stats[STAT_RECORDS]).toBe(1);
    }
  });

  it("reads both layouts: the record on the header's line, and on the next", () => {
    everyWay('\r\n+MQTTREAD: 1,0,2,3,"ab","x,y"\r\n\r\nOK\r\n', (r) =>
      expect(told(r)).toEqual(["record 1,0,2,3", `message "ab" ${hex("x,y")}`, "final 1 OK"]),
    );
    everyWay('\r\n+MQTTREAD: 1,2,2,3\r\n"ab","x\ry"\r\n\r\nOK\r\n', (r) =>
      expect(told(r)).toEqual(["record 1,2,2,3", `message "ab" ${hex("x\ry")}`, "final 1 OK"]),
    );
  });

  it("knows `<id>,0,0,0` means nothing waits, and leaves the test form's list to the command", () => {
    everyWay("\r\n+MQTTREAD: 1,0,0,0\r\n\r\nOK\r\n", (r) => expect(told(r)).toEqual(["record 1,0,0,0", "record none", "final 1 OK"]));
    everyWay("\r\n+MQTTREAD: (1,2)\r\n\r\nOK\r\n", (r) => expect(told(r)).toEqual(["response 1 +MQTTREAD (1,2)", "final 1 OK"]));
  });

  describe("a record whose delimiters are wrong is reported and dropped, never delivered, and framing goes on", () => {
    const cases: [string, string][] = [
      ["no comma between topic and payload", '\r\n+MQTTREAD: 1,0,1,3\r\n"t"_"abc"\r\n'],
      ["payload shorter than its length", '\r\n+MQTTREAD: 1,0,1,4\r\n"t","abc"\r\n'],
      ["payload longer than its length", '\r\n+MQTTREAD: 1,0,1,2\r\n"t","abc"\r\n'],
      ["topic longer than its length", '\r\n+MQTTREAD: 1,0,1,3,"tt","abc"\r\n'],
      ["no comma before the quote on the header line", '\r\n+MQTTREAD: 1,0,1,3"t","abc"\r\n'],
      ["a comma but the record on the next line", '\r\n+MQTTREAD: 1,0,1,3,\r\n"t","abc"\r\n'],
    ];
    for (const [name, record] of cases) {
      it(name, () => {
        everyWay(record + "\r\n+MQTTBREAK: 1,1\r\n\r\nOK\r\n", (r) => {
          const events = told(r);
          expect(events.some((e) => e.startsWith("message"))).toBe(false);
          expect(events.filter((e) => e.startsWith("record malformed"))).toHaveLength(1);
          expect(events.slice(-2)).toEqual(["urc +MQTTBREAK 1,1", "final 1 OK"]);
          expect(r.engine.stats[STAT_RECORDS_MALFORMED]).toBe(1);
        });
      });
    }

    it("no opening quote: there is no record; the bytes go back to the line scanner", () => {
      everyWay("\r\n+MQTTREAD: 1,0,1,3\r\nt,abc\r\n\r\nOK\r\n", (r) => {
        // (An untokened line goes to the command in flight, which may take it, as this one does.)
        expect(told(r)).toEqual(["record 1,0,1,3", 'record malformed ""', "response 1 ? t,abc", "final 1 OK"]);
      });
    });

    it("a header ended by a quote but without lengths", () => {
      everyWay('\r\n+MQTTREAD: 1,x,1,3,"t","abc"\r\n\r\nOK\r\n', (r) => {
        expect(r.events).toContain("notice malformed +MQTTREAD record dropped");
        expect(told(r).some((e) => e.startsWith("message"))).toBe(false);
        expect(told(r).at(-1)).toBe("final 1 OK");
      });
    });
  });

  it("a record longer than the buffers is read past by its length and reported with its topic and size", () => {
    const payload = "p\r\nOK\r\n".repeat(8);
    const modem = `\r\n+MQTTREAD: 1,1,5,${payload.length},"big/t","${payload}"\r\n\r\nOK\r\n\r\n+MQTTMSGI: 1,1,5,1\r\n`;
    everyWay(
      modem,
      (r) => {
        expect(told(r)).toEqual([`record 1,1,5,${payload.length}`, 'record too long "big/t"', "final 1 OK", "urc +MQTTMSGI 1,1,5,1"]);
        expect(r.events).toContain("notice +MQTTREAD record longer than the buffers skipped big/t");
        expect(r.engine.stats[STAT_RECORDS_SKIPPED]).toBe(1);
      },
      { payloadMax: 16 },
    );
  });

  it("a topic longer than the engine holds is read past too; the report has the sizes but no topic", () => {
    const topic = "t".repeat(300);
    const r = new Recorder();
    r.queue({ line: "AT+MQTTREAD=1", response: "+MQTTREAD" });
    r.feed([bytesOf(`\r\n+MQTTREAD: 1,0,300,2,"${topic}","ab"\r\n\r\nOK\r\n`)]);
    expect(told(r)).toEqual(["record 1,0,300,2", 'record too long ""', "final 1 OK"]);
  });

  it("a 5,120-byte message with line ends in its payload does not break the framing", () => {
    const payload = "x\r\n+MQTTBREAK: 1,1\r\n".repeat(256).slice(0, 5120);
    const r = new Recorder({ payloadMax: 1024 });
    r.queue({ line: "AT+MQTTREAD=1", response: "+MQTTREAD" });
    const data = bytesOf(`\r\n+MQTTREAD: 1,1,3,5120\r\n"a/b","${payload}"\r\n\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n`);
    r.feed(splitAt(data, [100, 1000, 2000, 4000, 5000]));
    expect(told(r)).toEqual(["record 1,1,3,5120", 'record too long "a/b"', "final 1 OK", "urc +MQTTPUB 1,1"]);
  });

  it("a record cut short by silence is dropped, and lines after the silence are lines again", () => {
    const r = new Recorder();
    r.queue({ line: "AT+MQTTREAD=1", response: "+MQTTREAD", timeoutMs: 10_000 });
    r.feed([bytesOf('\r\n+MQTTREAD: 1,1,1,100\r\n"t","abcdef')]);
    r.clock.advance(1000);
    r.feed([bytesOf("ghij")]); // still coming: 1 s is no gap
    r.clock.advance(2001);
    r.feed([bytesOf("\r\n+MQTTBREAK: 1,1\r\n\r\nOK\r\n")]);
    expect(told(r)).toEqual(["record 1,1,1,100", 'record cut short "t"', "urc +MQTTBREAK 1,1", "final 1 OK"]);
    expect(r.engine.stats[STAT_RECORDS_CUT]).toBe(1);
  });

  it("line ends after a header count as the record's bytes arriving: no cut while they keep coming", () => {
    const r = new Recorder();
    r.queue({ line: "AT+MQTTREAD=1", response: "+MQTTREAD", timeoutMs: 10_000 });
    r.feed([bytesOf("\r\n+MQTTREAD: 1,1,1,4\r")]);
    r.clock.advance(1500);
    r.feed([bytesOf("\n")]); // the header's line end, late
    r.clock.advance(1500);
    r.feed([bytesOf('"t","abcd"\r\n\r\nOK\r\n')]);
    expect(told(r)).toEqual(["record 1,1,1,4", 'message "t" 61626364', "final 1 OK"]);
  });

  it("a silence between a header's line end and its record cuts the record", () => {
    const r = new Recorder();
    r.queue({ line: "AT+MQTTREAD=1", response: "+MQTTREAD", timeoutMs: 10_000 });
    r.feed([bytesOf("\r\n+MQTTREAD: 1,1,1,4\r\n")]);
    r.clock.advance(2001);
    r.feed([bytesOf("\r\n+MQTTBREAK: 1,1\r\n\r\nOK\r\n")]);
    expect(told(r)).toEqual(["record 1,1,1,4", 'record cut short ""', "urc +MQTTBREAK 1,1", "final 1 OK"]);
  });

  it("a modem restart in the middle of a record cuts it", () => {
    const r = new Recorder();
    r.feed([bytesOf('\r\n+MQTTREAD: 1,1,1,100\r\n"t","abc')]);
    r.engine.reset();
    r.feed([bytesOf("\r\nRDY\r\n")]);
    expect(told(r)).toEqual(["record 1,1,1,100", 'record cut short "t"', "urc RDY RDY"]);
  });
});
