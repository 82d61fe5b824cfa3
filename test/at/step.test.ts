import { describe, expect, it } from "vitest";
import { STAT_FILLER_BYTES, STAT_RESYNCS, STAT_STALE_LINES, STAT_SYNC_TIMEOUTS, STAT_TIMEOUTS, STAT_UNMATCHED } from "cellmqtt/at/results";
import { cutsOf } from "./cuts.ts";
import { Recorder } from "./recorder.ts";
import { bytesOf, splitAt } from "../support/mock-uart.ts";

const SYNC = "AT+CSQ=?\r";
const SYNC_ANSWER = "\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n";
const QUIET = 500;
/** How much longer than its timeout a command waits for its `>`. */
const GRACE = 20_000;

/** Feeds `text` cut at `cuts` (every way of splitting must give the same outcome). */
function feed(r: Recorder, text: string, cuts: readonly number[] = []): void {
  r.feed(splitAt(bytesOf(text), cuts));
}

/** Events that are not notices: what owners and handlers were told. */
function told(r: Recorder): string[] {
  return r.events.filter((e) => !e.startsWith("notice"));
}


describe("an answer belongs to the command it answers, or to none", () => {
  it("after a stall, late answers end nothing: the channel waits for quiet, syncs, and only then sends the next command", () => {
    const late = "\r\n+CSQ: 20,99\r\n\r\nOK\r\n\r\nERROR\r\n";
    for (const cuts of cutsOf(late, 7)) {
      const r = new Recorder();
      r.queue({ line: "AT+CSQ", response: "+CSQ", timeoutMs: 1000 });
      r.queue({ line: "AT+MQTTOPEN?", response: "+MQTTOPEN" });
      r.clock.advance(1000);
      expect(told(r)).toEqual(["final 1 timeout"]);
      expect(r.engine.inStep).toBe(false);
      // The stalled modem releases the answer of the command given up (and an extra ERROR).
      feed(r, late, cuts);
      expect(told(r)).toEqual(["final 1 timeout"]);
      expect(r.engine.stats[STAT_UNMATCHED]).toBe(2);
      expect(r.engine.stats[STAT_STALE_LINES]).toBe(1);
      expect(r.uart.text()).toBe("AT+CSQ\r");
      r.clock.advance(QUIET);
      expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC);
      feed(r, SYNC_ANSWER, cuts.filter((c) => c < SYNC_ANSWER.length));
      expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC); // not yet: quiet must follow the answer
      r.clock.advance(QUIET);
      expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + "AT+MQTTOPEN?\r");
      expect(r.engine.inStep).toBe(true);
      feed(r, "\r\n+MQTTOPEN: 1,2\r\n\r\nOK\r\n");
      expect(told(r)).toEqual(["final 1 timeout", "response 2 +MQTTOPEN 1,2", "final 2 OK"]);
      expect(r.engine.stats[STAT_RESYNCS]).toBe(1);
      expect(r.engine.stats[STAT_TIMEOUTS]).toBe(1);
    }
  });

  it("a modem stalled through several syncs: the late answers of earlier syncs cannot pass for the last one's", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ", timeoutMs: 1000 });
    r.queue({ line: "AT+COPS?", response: "+COPS" });
    r.clock.advance(1000 + QUIET);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC);
    r.clock.advance(2000);
    expect(r.engine.stats[STAT_SYNC_TIMEOUTS]).toBe(1);
    r.clock.advance(QUIET);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + SYNC);
    // The stall ends: the given-up command's answer and the first sync's, then (shortly after) the second sync's.
    feed(r, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n" + SYNC_ANSWER);
    r.clock.advance(QUIET / 2);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + SYNC);
    feed(r, SYNC_ANSWER);
    r.clock.advance(QUIET / 2);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + SYNC); // the quiet starts again at the last answer
    r.clock.advance(QUIET / 2);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + SYNC + "AT+COPS?\r");
    feed(r, '\r\n+COPS: 0,0,"NET",7\r\n\r\nOK\r\n');
    expect(told(r)).toEqual(["final 1 timeout", 'response 2 +COPS 0,0,"NET",7', "final 2 OK"]);
  });

  it("a sync refused or unanswered is sent again after quiet, and each miss is reported", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ", timeoutMs: 1000 });
    r.clock.advance(1000 + QUIET);
    feed(r, "\r\nERROR\r\n"); // stray bytes before the sync made it garbage
    r.clock.advance(2000 + QUIET);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + SYNC);
    feed(r, SYNC_ANSWER);
    r.clock.advance(QUIET);
    expect(r.engine.inStep).toBe(true);
    expect(r.events).toContain("notice sync unanswered");
    expect(r.events.at(-1)).toBe("notice back in step");
  });

  it("a modem that refuses the sync's form: after two refused attempts its error, then quiet, restores step", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ", timeoutMs: 1000 });
    r.queue({ line: "AT" });
    r.clock.advance(1000);
    for (let attempt = 1; attempt <= 3; attempt++) {
      r.clock.advance(QUIET);
      expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC.repeat(attempt));
      feed(r, "\r\nERROR\r\n");
      if (attempt < 3) r.clock.advance(2000);
    }
    expect(r.engine.stats[STAT_SYNC_TIMEOUTS]).toBe(2);
    r.clock.advance(QUIET);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC.repeat(3) + "AT\r");
    expect(r.engine.inStep).toBe(true);
  });

  it("waits for the line to be quiet: any input restarts the wait before the sync", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ", timeoutMs: 1000 });
    r.clock.advance(1000 + QUIET - 100);
    feed(r, "\r\n+MQTTPUB: 1,1\r\n");
    r.clock.advance(QUIET - 1);
    expect(r.uart.text()).toBe("AT+CSQ\r");
    r.clock.advance(1);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC);
  });

  it("unsolicited lines go on being delivered while out of step", () => {
    const r = new Recorder();
    r.queue({ line: "AT+MQTTSUB=1,\"t\",1", timeoutMs: 1000 });
    r.clock.advance(1000);
    feed(r, "\r\n+MQTTBREAK: 1,1\r\n\r\n+MQTTMSGI: 1,0,1,1\r\n");
    expect(told(r)).toEqual(["final 1 timeout", "urc +MQTTBREAK 1,1", "urc +MQTTMSGI 1,0,1,1"]);
  });

  it("the modem rebooting puts the channel back in step at once", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ", timeoutMs: 1000 });
    r.queue({ line: "AT+COPS?", response: "+COPS" });
    r.clock.advance(1000);
    r.engine.reset();
    expect(r.engine.inStep).toBe(true);
    expect(told(r)).toEqual(["final 1 timeout", "final 2 cancelled"]);
    r.queue({ line: "AT" });
    expect(r.uart.text()).toBe("AT+CSQ\rAT\r");
  });

  it("resync() gives up the command in flight and restores step before the next", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ" });
    r.queue({ line: "AT" });
    r.engine.resync();
    expect(told(r)).toEqual(["final 1 cancelled"]);
    feed(r, "\r\nOK\r\n");
    expect(told(r)).toEqual(["final 1 cancelled"]);
    r.clock.advance(QUIET);
    feed(r, SYNC_ANSWER);
    r.clock.advance(QUIET);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + "AT\r");
  });

  it("reports an OK or a prompt with no command waiting as unmatched, and counts them", () => {
    const r = new Recorder();
    feed(r, "\r\nOK\r\n\r\n> \r\n");
    expect(r.events).toEqual(["notice unmatched result OK", "notice unmatched result > "]);
    expect(r.engine.stats[STAT_UNMATCHED]).toBe(2);
  });
});

describe("command bytes and payload bytes never swap", () => {
  const PUB = 'AT+MQTTPUB=1,"t",1,0,3';
  const DATA = new Uint8Array([0x41, 0x0d, 0x42]);

  it("a stale OK does not end a publish waiting for its prompt; the prompt then sends its payload", () => {
    const input = "\r\nOK\r\n>";
    for (const cuts of cutsOf(input, 7)) {
      const r = new Recorder();
      r.queue({ line: PUB, data: DATA });
      feed(r, input, cuts);
      expect(told(r)).toEqual([]);
      expect(r.uart.text()).toBe(PUB + "\rA\rB");
      feed(r, "\r\nOK\r\n");
      expect(told(r)).toEqual(["final 1 OK"]);
      expect(r.engine.stats[STAT_UNMATCHED]).toBe(1);
    }
  });

  it("after the prompt wait times out nothing is written until quiet; then filler, never a command line, completes what the modem may collect", () => {
    const r = new Recorder();
    r.queue({ line: PUB, data: DATA, timeoutMs: 500 });
    r.queue({ line: "AT+CSQ", response: "+CSQ" });
    r.clock.advance(500 + GRACE);
    expect(told(r)).toEqual(["final 1 timeout"]);
    // A late prompt: no reason to write the payload, nor anything else.
    feed(r, "\r\n> ");
    expect(r.uart.text()).toBe(PUB + "\r");
    r.clock.advance(QUIET);
    expect(r.uart.text()).toBe(PUB + "\r000\r");
    expect(r.engine.stats[STAT_FILLER_BYTES]).toBe(3);
    // The modem publishes the filler and answers; the CR after it draws nothing or an ERROR.
    feed(r, "\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n");
    r.clock.advance(QUIET - 1);
    expect(r.uart.text()).toBe(PUB + "\r000\r");
    r.clock.advance(1);
    expect(r.uart.text()).toBe(PUB + "\r000\r" + SYNC);
    feed(r, SYNC_ANSWER);
    r.clock.advance(QUIET);
    expect(r.uart.text()).toBe(PUB + "\r000\r" + SYNC + "AT+CSQ\r");
    expect(told(r)).toEqual(["final 1 timeout", "urc +MQTTPUB 1,1"]);
    expect(r.events).toContain("notice unmatched result > ");
  });

  it("a payload cut short by the output budget is completed with filler for the bytes not sent", () => {
    const r = new Recorder({ txBudget: 0 });
    const line = 'AT+MQTTPUB=1,"t",1,0,40';
    r.queue({ line, data: new Uint8Array(40).fill(0x5a), timeoutMs: 500 });
    r.engine.writable(line.length + 1);
    feed(r, ">");
    r.engine.writable(10);
    r.clock.advance(500 + GRACE + QUIET);
    r.engine.writable(64);
    expect(r.uart.text()).toBe(line + "\r" + "Z".repeat(10) + "0".repeat(30) + "\r");
  });

  it("a prompt late past the command's timeout but within the grace gets the exact payload, and the command its own result", () => {
    const late = "\r\n>";
    for (const cuts of cutsOf(late, 7)) {
      const r = new Recorder();
      r.queue({ line: PUB, data: DATA, timeoutMs: 500 });
      r.queue({ line: "AT+CSQ", response: "+CSQ" });
      r.clock.advance(500 + GRACE - 1);
      expect(r.uart.text()).toBe(PUB + "\r");
      feed(r, "\r\nOK\r\n"); // stale: still no reason to end it
      feed(r, late, cuts);
      expect(r.uart.text()).toBe(PUB + "\rA\rB");
      // The result gets the command's own timeout from the payload on.
      r.clock.advance(499);
      feed(r, "\r\nOK\r\n\r\n+MQTTPUB: 1,1\r\n");
      expect(told(r)).toEqual(["final 1 OK", "urc +MQTTPUB 1,1"]);
      expect(r.uart.text()).toBe(PUB + "\rA\rBAT+CSQ\r");
      expect(r.engine.inStep).toBe(true);
      expect(r.engine.stats[STAT_FILLER_BYTES]).toBe(0);
    }
  });

  it("ERROR in place of the prompt ends the publish in step: no filler, no sync", () => {
    const r = new Recorder();
    r.queue({ line: PUB, data: DATA });
    r.queue({ line: "AT" });
    feed(r, "\r\nERROR: 3\r\n");
    expect(told(r)).toEqual(["final 1 ERROR 3"]);
    expect(r.uart.text()).toBe(PUB + "\rAT\r");
  });

  it("a prompt that arrives only after the given-up command's line is not given to the next publish", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ", timeoutMs: 1000 });
    r.queue({ line: PUB, data: DATA });
    r.clock.advance(1000);
    feed(r, ">");
    r.clock.advance(QUIET);
    feed(r, SYNC_ANSWER);
    r.clock.advance(QUIET);
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + PUB + "\r");
    feed(r, ">");
    expect(r.uart.text()).toBe("AT+CSQ\r" + SYNC + PUB + "\rA\rB");
  });
});
