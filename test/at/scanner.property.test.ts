import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Recorder } from "./recorder.ts";

// The scanner finds line ends a word at a time, so where a line starts and ends relative to
// 4-byte boundaries, and where reads split it, must never change what is reported.
describe("line framing, whatever the alignment and the reads", () => {
  const tokens = ["+CSQ", "+MQTTMSG", "+MQTTPUB", "+MQTTMSGI", "RDY"];
  const bodyChar = fc.constantFrom("a", "Z", "0", "9", ",", '"', " ", ":", "{", "}", "~", "\u007f", "\u0001", "\u000e");
  const line = fc.record({
    token: fc.constantFrom(...tokens),
    body: fc.array(bodyChar, { maxLength: 40 }).map((a) => a.join("")),
    before: fc.constantFrom("", "\r\n", "\n", "\r", " ", "\r\n\r\n", "  \r\n"),
    after: fc.constantFrom("\r\n", "\n", "\r", "\n\r"),
  });

  it("reports every line once, with its body, for any cut of the input", () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 30 }), (lines, sizes) => {
        const r = new Recorder();
        let input = "";
        const expected: string[] = [];
        for (const l of lines) {
          // A colon-free token line is its own body.
          const whole = l.token === "RDY" ? "RDY" : `${l.token}: ${l.body}`;
          input += l.before + whole + l.after;
          expected.push(l.token === "RDY" ? "urc RDY RDY" : `urc ${l.token} ${l.body.replace(/^ +/, "")}`);
        }
        const bytes = Uint8Array.from(input, (c) => c.charCodeAt(0));
        const chunks: Uint8Array[] = [];
        for (let at = 0, k = 0; at < bytes.length; k++) {
          const n = Math.min(sizes[k % sizes.length]!, bytes.length - at);
          chunks.push(bytes.slice(at, at + n));
          at += n;
        }
        r.feed(chunks);
        expect(r.events).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });
});
