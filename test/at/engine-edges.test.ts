import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Recorder } from "./recorder.ts";
import { bytesOf, splitAt } from "../support/mock-uart.ts";
import { RESULT_CANCELLED, RESULT_OK, STAT_DROPPED, STAT_LINES, STAT_RECORDS } from "cellmqtt/at/results";

describe("bad input gets a clear outcome", () => {
  it("drops a line longer than the ring, reports it, and resynchronises at the next line end", () => {
    const r = new Recorder({ rxCapacity: 64 });
    r.feed([bytesOf("\r\n+MQTTMSG: 1,0,\"t\",\"" + "x".repeat(200) + "\"\r\n+MQTTBREAK: 1,1\r\n")]);
    expect(r.events).toEqual(["notice line too long, dropped", "urc +MQTTBREAK 1,1"]);
    expect(r.engine.stats[4]).toBe(1);
  });

  it("frames lines anywhere in a ring of nearly 32 KB, and refuses a ring past what its kernels address", () => {
    const r = new Recorder({ rxCapacity: 30_000 });
    r.feed([bytesOf("x".repeat(25_000) + "\r\n+MQTTBREAK: 1,1\r\n")]);
    expect(r.events.length).toBe(2);
    expect(r.events[0]).toBe(`notice unhandled line ${"x".repeat(25_000)}`);
    expect(r.events[1]).toBe("urc +MQTTBREAK 1,1");
    expect(() => new Recorder({ rxCapacity: 33_000 })).toThrow(/stageSize \+ rxCapacity must be at most 32\d{3} bytes/);
  });

  it("a partial line taken for the prompt once one is wanted leaves nothing of itself to the next line", () => {
    const r = new Recorder();
    r.feed([bytesOf(">x")]); // no command waits for a prompt: a line so far
    r.queue({ line: 'AT+MQTTPUB=1,"t",1,0,2', data: bytesOf("hi") });
    r.feed([bytesOf("\r\nOK\r\n")]);
    expect(r.uart.text()).toBe('AT+MQTTPUB=1,"t",1,0,2\rhi');
    expect(r.events).toEqual(["response 1 ? x", "final 1 OK"]);
  });

  it("ignores NUL bytes and non-ASCII garbage, reporting them as unhandled, and an unrequested prompt as unmatched", () => {
    const r = new Recorder();
    r.feed([bytesOf("\x00\x00\xfe\xff garbage\r\n> \r\n+MQTTBREAK: 2,3\r\n")]);
    expect(r.events).toEqual(["notice unhandled line \x00\x00\xfe\xff garbage", "notice unmatched result > ", "urc +MQTTBREAK 2,3"]);
  });

  it("reports an OK with no command in flight instead of completing anything", () => {
    const r = new Recorder();
    r.feed([bytesOf("\r\nOK\r\n")]);
    expect(r.events).toEqual(["notice unmatched result OK"]);
  });

  it("tolerates bare LF and stray CR as line ends", () => {
    const r = new Recorder();
    r.queue({ line: "AT+CSQ", response: "+CSQ" });
    r.feed([bytesOf("+CSQ: 31,99\nOK\r\r\r+MQTTBREAK: 1,2\n")]);
    expect(r.events).toEqual(["response 1 +CSQ 31,99", "final 1 OK", "urc +MQTTBREAK 1,2"]);
  });

  it("times out a command that gets no final result, names it, and moves the queue on once back in step", () => {
    const r = new Recorder();
    r.queue({ line: "AT+MQTTCLOSE=1", timeoutMs: 1000 });
    r.queue({ line: "AT" });
    expect(r.uart.text()).toBe("AT+MQTTCLOSE=1\r");
    r.clock.advance(999);
    expect(r.events).toEqual([]);
    r.clock.advance(1);
    expect(r.events).toEqual(["notice command timed out", "final 1 timeout"]);
    r.clock.advance(500);
    expect(r.uart.text()).toBe("AT+MQTTCLOSE=1\rAT+CSQ=?\r");
    r.feed([bytesOf("\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n")]);
    r.clock.advance(500);
    expect(r.uart.text()).toBe("AT+MQTTCLOSE=1\rAT+CSQ=?\rAT\r");
    r.feed([bytesOf("\r\nOK\r\n")]);
    expect(r.events.at(-1)).toBe("final 2 OK");
  });

  it("times out a command whose prompt never comes; a late prompt writes neither its payload nor a command line", () => {
    const r = new Recorder();
    r.queue({ line: 'AT+MQTTPUB=1,"t",0,0,3', data: new Uint8Array([1, 2, 3]), timeoutMs: 500 });
    r.queue({ line: "AT+CSQ", response: "+CSQ" });
    r.clock.advance(500); // its timeout: it waits the grace period more, writing nothing
    expect(r.events).toEqual(["notice prompt overdue, still waiting"]);
    r.clock.advance(20_000);
    r.feed([bytesOf("\r\n>")]);
    r.feed([bytesOf(" \r\n")]);
    expect(r.uart.text()).toBe('AT+MQTTPUB=1,"t",0,0,3\r');
    expect(r.events.slice(1)).toEqual(["notice command timed out", "final 1 timeout", "notice unmatched result > "]);
    // Quiet: filler completes whatever the modem may be collecting; no payload byte was written.
    r.clock.advance(500);
    expect(r.uart.text()).toBe('AT+MQTTPUB=1,"t",0,0,3\r000\r');
  });

  it("answers ERROR in place of the prompt without sending the data", () => {
    const r = new Recorder();
    r.queue({ line: 'AT+MQTTPUB=1,"t",0,0,3', data: new Uint8Array([1, 2, 3]) });
    r.feed([bytesOf("\r\nERROR\r\n")]);
    expect(r.events).toEqual(["final 1 ERROR"]);
    expect(r.uart.text()).toBe('AT+MQTTPUB=1,"t",0,0,3\r');
  });
});

describe("commands", () => {
  it("refuses values that would inject a command, and writes nothing", () => {
    const r = new Recorder();
    for (const bad of ['a"b', "a\rb", "a\nb", "a\x1ab", "a\x00b", "é"]) {
      const e = r.engine.command(r, 1, -1, 1000)!;
      e.quoted(bad);
      expect(r.engine.send(), JSON.stringify(bad)).toBe(false);
    }
    expect(r.uart.writes).toHaveLength(0);
    expect(r.engine.queued).toBe(0);
  });

  it("says the queue is full instead of dropping a command", () => {
    const r = new Recorder({ queueDepth: 2 });
    expect(r.queue({ line: "AT" })).toBeGreaterThan(0);
    expect(r.queue({ line: "AT" })).toBeGreaterThan(0);
    expect(r.queue({ line: "AT" })).toBe(-1);
  });

  it("refuses a command that does not fit the transmit region", () => {
    const r = new Recorder({ txCapacity: 32 });
    expect(r.queue({ line: "AT+" + "X".repeat(40) })).toBe(-1);
    expect(r.queue({ line: "AT" })).toBeGreaterThan(0);
  });

  it("writes within the UART's budget and never more", () => {
    const r = new Recorder({ txBudget: 0 });
    r.queue({ line: 'AT+MQTTPUB=1,"topic",0,0,20', data: new Uint8Array(20).fill(0x41) });
    expect(r.uart.writes).toHaveLength(0);
    r.engine.writable(8);
    r.engine.writable(8);
    r.engine.writable(8);
    r.engine.writable(8);
    expect(r.uart.writes.map((w) => w.length)).toEqual([8, 8, 8, 4]);
    r.feed([bytesOf(">")]);
    r.engine.writable(16);
    r.engine.writable(16);
    // The 4 bytes left of the last grant go out at once; the next grant takes the rest.
    expect(r.uart.writes.map((w) => w.length)).toEqual([8, 8, 8, 4, 4, 16]);
    expect(r.uart.text()).toBe('AT+MQTTPUB=1,"topic",0,0,20\r' + "A".repeat(20));
  });

  it("cancels every queued command on reset", () => {
    const r = new Recorder();
    r.queue({ line: "AT" });
    r.queue({ line: "AT+CSQ" });
    r.engine.reset();
    expect(r.events).toEqual(["final 1 cancelled", "final 2 cancelled"]);
    expect(r.engine.queued).toBe(0);
  });

  it("counts the lines it framed, record headers and lines of no one's included, and no empty line", () => {
    const r = new Recorder();
    r.queue({ line: "AT" });
    r.feed(splitAt(bytesOf('\r\n\r\nOK\r\n+MQTTPUB: 1,1\r\nnoise\r\n+MQTTREAD: 1,0,1,1,"t","x"\r\n'), [3, 9, 20]));
    expect(r.engine.stats[STAT_LINES]).toBe(4);
    expect(r.engine.stats[STAT_RECORDS]).toBe(1);
  });

  it("writes no queued command while cancelling them on reset: the restarted modem would answer it later", () => {
    const r = new Recorder();
    r.queue({ line: "AT" });
    r.queue({ line: "AT+CSQ", response: "+CSQ" });
    r.queue({ line: "AT+COPS?", response: "+COPS" });
    r.engine.reset();
    expect(r.uart.text()).toBe("AT\r");
    expect(r.events).toEqual(["final 1 cancelled", "final 2 cancelled", "final 3 cancelled"]);
    // The modem's late OK to the first AT is no answer to what comes after the reset.
    r.queue({ line: "AT+CPIN?", response: "+CPIN" });
    expect(r.uart.text()).toBe("AT\rAT+CPIN?\r");
  });

  it("starts, after a reset, what an owner queues when told its command was cancelled", () => {
    const r = new Recorder();
    const engine = r.engine;
    const owner = {
      told: [] as string[],
      onResponse: () => false,
      onFinal(tag: number, result: number) {
        this.told.push(`${tag} ${result === RESULT_CANCELLED ? "cancelled" : result}`);
        if (tag === 1) {
          engine.command(this, 9, -1, 1000)!.raw(bytesOf("AT+CFUN?"));
          engine.send();
        }
      },
    };
    for (const tag of [1, 2]) {
      engine.command(owner, tag, -1, 1000)!.raw(bytesOf(tag === 1 ? "AT" : "AT+CSQ"));
      engine.send();
    }
    engine.reset();
    // The command queued in the middle of the cancelling survives it, and goes out after.
    expect(owner.told).toEqual(["1 cancelled", "2 cancelled"]);
    expect(engine.queued).toBe(1);
    expect(r.uart.text()).toBe("AT\rAT+CFUN?\r");
    r.feed([bytesOf("\r\nOK\r\n")]);
    expect(owner.told).toEqual(["1 cancelled", "2 cancelled", `9 ${RESULT_OK}`]);
  });

  it("lets a completion handler queue the next command (as a session does)", () => {
    const r = new Recorder();
    const engine = r.engine;
    const owner = {
      done: [] as number[],
      onResponse: () => false,
      onFinal(tag: number) {
        this.done.push(tag);
        if (tag < 3) {
          engine.command(this, tag + 1, -1, 1000)!.raw(bytesOf("AT"));
          engine.send();
        }
      },
    };
    engine.command(owner, 1, -1, 1000)!.raw(bytesOf("AT"));
    engine.send();
    r.feed([bytesOf("OK\r\nOK\r\nOK\r\n")]);
    expect(owner.done).toEqual([1, 2, 3]);
    expect(r.uart.text()).toBe("AT\rAT\rAT\r");
  });
});

/**
 * Random bytes, mixed with pieces of what the modem says: record headers whose lengths reach
 * past the input, prompts, results and line ends.
 */
function junkOf(maxLength: number): fc.Arbitrary<Uint8Array> {
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom("+MQTTREAD: 1,0,5,900\r\n", '+MQTTREAD: 2,1,3,20000,"', '"t","', "\r\n", ">", "OK\r\n", "ERROR\r\n").map(bytesOf),
  );
  return fc.array(piece, { maxLength: 40 }).map((parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out.subarray(0, maxLength);
  });
}

describe("random input", () => {
  it("never throws, never grows, and keeps routing lines after any garbage", () => {
    fc.assert(
      fc.property(junkOf(3000), fc.integer({ min: 1, max: 300 }), (junk, chunk) => {
        const r = new Recorder({ rxCapacity: 256 });
        r.queue({ line: 'AT+MQTTPUB=1,"t",0,0,2', data: new Uint8Array([1, 2]), timeoutMs: 100 });
        for (let i = 0; i < junk.length; i += chunk) r.engine.receive(junk, i, Math.min(chunk, junk.length - i));
        const size = r.engine.bytes.length;
        // No reset: whatever state the junk left (a partial line, a length-bound read, out of
        // step), a line end and the time a modem takes to answer again must bring routing back.
        r.clock.advance(5000);
        r.feed([bytesOf("\r\n")]); // ends whatever partial line the junk left
        r.events.length = 0;
        r.feed([bytesOf("+MQTTBREAK: 1,1\r\n")]);
        expect(r.events.filter((e) => !e.startsWith("notice"))).toEqual(["urc +MQTTBREAK 1,1"]);
        expect(r.engine.bytes.length).toBe(size);
      }),
      { numRuns: 300 },
    );
  });
});

describe("a port that answers inside write", () => {
  it("finishes each command once and never rewrites stale bytes", () => {
    const r = new Recorder();
    const engine = r.engine;
    // The modem answers synchronously, as an in-process emulator can.
    const write = r.uart.write.bind(r.uart);
    r.uart.write = (bytes, offset, length) => {
      write(bytes, offset, length);
      if (bytes[offset + length - 1] === 0x0d) engine.receive(new TextEncoder().encode("\r\nOK\r\n"));
    };
    const owner = {
      done: [] as number[],
      onResponse: () => false,
      onFinal(tag: number) {
        this.done.push(tag);
        if (tag < 4) {
          engine.command(this, tag + 1, -1, 1000)!.raw(new TextEncoder().encode(`AT+CMD${tag + 1}`));
          engine.send();
        }
      },
    };
    engine.command(owner, 1, -1, 1000)!.raw(new TextEncoder().encode("AT+CMD1"));
    engine.send();
    expect(owner.done).toEqual([1, 2, 3, 4]);
    expect(r.uart.text()).toBe("AT+CMD1\rAT+CMD2\rAT+CMD3\rAT+CMD4\r");
  });
});

describe("a modem that answers inside write, through a UART that takes a few bytes at a time", () => {
  it("gets each command's line, then its payload after its own `>`, in queue order, whatever the budgets", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 24 }), { minLength: 3, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        (payloads, grants) => {
          const r = new Recorder({ txBudget: 0 });
          const engine = r.engine;
          const write = r.uart.write.bind(r.uart);
          // The modem: a line ends at CR; a publish's line draws `>` and, once its payload is
          // all in, OK; any other line draws OK at once. Each answer is given inside the write.
          let line = "";
          let payloadDue = 0;
          r.uart.write = (bytes, offset, length) => {
            write(bytes, offset, length);
            for (let i = offset; i < offset + length; i++) {
              if (payloadDue > 0) {
                if (--payloadDue === 0) engine.receive(bytesOf("\r\nOK\r\n"));
              } else if (bytes[i] === 0x0d) {
                const m = /^AT\+MQTTPUB=1,"t",0,0,(\d+)$/.exec(line);
                line = "";
                payloadDue = m ? Number(m[1]) : 0;
                engine.receive(bytesOf(m ? ">" : "\r\nOK\r\n"));
              } else line += String.fromCharCode(bytes[i]!);
            }
          };
          let expected = "";
          payloads.forEach((n, k) => {
            const payload = new Uint8Array(n).fill(0x61 + k);
            const cmd = n > 0 ? `AT+MQTTPUB=1,"t",0,0,${n}` : "AT+CSQ";
            r.queue(n > 0 ? { line: cmd, data: payload } : { line: cmd });
            expected += cmd + "\r" + String.fromCharCode(...payload);
          });
          for (let g = 0; engine.queued > 0 && g < 1000; g++) engine.writable(grants[g % grants.length]!);
          expect(r.uart.text()).toBe(expected);
          expect(r.events).toEqual(payloads.map((_, k) => `final ${k + 1} OK`));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("input that arrives inside write, more than the ring has room for", () => {
  it("is dropped past the room, counted and told, and lines after it route again", () => {
    const r = new Recorder({ rxCapacity: 64 });
    const engine = r.engine;
    const write = r.uart.write.bind(r.uart);
    let answered = false;
    r.uart.write = (bytes, offset, length) => {
      write(bytes, offset, length);
      // The second command's line draws a burst far longer than the ring, inside the write.
      if (!answered && r.uart.text().endsWith("AT+CSQ\r")) {
        answered = true;
        engine.receive(bytesOf("\r\n+MQTTPUB: 1,1\r\n".repeat(20)));
      }
    };
    r.queue({ line: "AT" });
    r.queue({ line: "AT+CSQ" });
    r.feed([bytesOf("\r\nOK\r\n")]);
    expect(engine.stats[STAT_DROPPED]).toBeGreaterThan(200);
    expect(r.events.filter((e) => e === "notice input dropped")).toHaveLength(1);
    r.events.length = 0;
    // (The line end first ends the burst's last line, cut short where the room ran out.)
    r.feed([bytesOf("\r\n+MQTTPUB: 2,2\r\n\r\nOK\r\n")]);
    expect(r.events.filter((e) => !e.startsWith("notice")).slice(-2)).toEqual(["urc +MQTTPUB 2,2", "final 2 OK"]);
  });
});

describe("a prompt that arrives inside the line's write", () => {
  it("is not missed: the data follows and the command completes", () => {
    const r = new Recorder();
    const engine = r.engine;
    const write = r.uart.write.bind(r.uart);
    r.uart.write = (bytes, offset, length) => {
      write(bytes, offset, length);
      const last = bytes[offset + length - 1];
      if (last === 0x0d) engine.receive(new TextEncoder().encode(">"));
      else engine.receive(new TextEncoder().encode("\r\nOK\r\n"));
    };
    r.queue({ line: 'AT+MQTTPUB=1,"t",1,0,3', data: new Uint8Array([1, 2, 3]) });
    expect(r.events).toEqual(["final 1 OK"]);
    expect(r.uart.text()).toBe('AT+MQTTPUB=1,"t",1,0,3\r\x01\x02\x03');
  });
});
