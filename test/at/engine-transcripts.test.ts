import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Recorder } from "./recorder.ts";
import { transcripts, type Transcript } from "./transcripts.ts";
import { bytesOf, splitAt } from "../support/mock-uart.ts";

function run(t: Transcript, chunks: (data: Uint8Array) => Uint8Array[]): Recorder {
  const r = new Recorder();
  for (const c of t.commands) expect(r.queue(c)).toBeGreaterThan(0);
  r.feed(chunks(bytesOf(t.modem)));
  return r;
}

describe.each(transcripts)("transcript: $name", (t) => {
  it("reports exactly the expected events when fed whole", () => {
    const r = run(t, (d) => [d]);
    expect(r.events).toEqual(t.events);
    expect(r.engine.queued).toBe(0);
  });

  it("writes every command once, in order, with data only after its prompt", () => {
    const r = run(t, (d) => [d]);
    const expected = t.commands
      .map((c) => c.line + "\r" + (c.data ? Buffer.from(c.data).toString("latin1") : ""))
      .join("");
    expect(r.uart.text()).toBe(expected);
  });

  it("reports the same events split at every byte boundary", () => {
    const data = bytesOf(t.modem);
    for (let cut = 1; cut < data.length; cut++) {
      const r = run(t, (d) => splitAt(d, [cut]));
      expect(r.events, `split at ${cut}`).toEqual(t.events);
    }
  });

  it("reports the same events one byte at a time", () => {
    const r = run(t, (d) => Array.from(d, (b) => new Uint8Array([b])));
    expect(r.events).toEqual(t.events);
  });

  it("reports the same events for any random chunking", () => {
    const data = bytesOf(t.modem);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: data.length - 1 }), { maxLength: 40 }), (cuts) => {
        const r = run(t, (d) => splitAt(d, [...cuts].sort((a, b) => a - b)));
        expect(r.events).toEqual(t.events);
      }),
      { numRuns: 150 },
    );
  });
});
