import { describe, expect, it } from "vitest";
import { Printer } from "../../hosts/node/printer.ts";

const HOSTILE_PAYLOAD = "\u001b[31mRED\u001b]0;pwned\u0007";
const HOSTILE_TOPIC = "x\r\nAT+X";

function printed(json: boolean, verbose: boolean, print: (p: Printer) => void): string[] {
  const lines: string[] = [];
  print(new Printer(json, verbose, (l) => lines.push(l)));
  return lines;
}

describe("the host CLI's printer", () => {
  it("escapes every control character, so network text cannot drive the terminal or start a line", () => {
    const [line] = printed(false, false, (p) => p.line("device", `received ${HOSTILE_TOPIC}: ${HOSTILE_PAYLOAD}\u009b2J\u202e`));
    expect(line).toMatch(/ \[device\] +received x\\r\\nAT\+X: \\e\[31mRED\\e\]0;pwned\\x07\\x9b2J\\u202e$/);
    expect(line).not.toMatch(/[^\x20-\x7e]/);
  });

  it("in JSON keeps the text whole but escaped, one object per line", () => {
    const [line] = printed(true, false, (p) => p.line("app", `command: ${HOSTILE_PAYLOAD} on ${HOSTILE_TOPIC}\u009b`));
    expect(line).not.toMatch(/[^\x20-\x7e]/);
    expect(JSON.parse(line!).text).toBe(`command: ${HOSTILE_PAYLOAD} on ${HOSTILE_TOPIC}\u009b`);
  });

  it("routes the firmware's log by source; the engine's unmatched-result notice is quiet", () => {
    const log = ["app: connected to h:1883", "mqtt[1] connected", "network up", "at: unmatched result: OK"];
    const plain = printed(false, false, (p) => log.forEach((l) => p.log(l))).map((l) => l.slice(13));
    expect(plain).toEqual(["[app]     connected to h:1883", "[mqtt]    mqtt[1] connected", "[modem]   network up"]);
    const verbose = printed(false, true, (p) => log.forEach((l) => p.log(l))).map((l) => l.slice(13));
    expect(verbose).toEqual([...plain, "[modem]   at: unmatched result: OK"]);
  });

  it("shows quiet lines only when verbose", () => {
    expect(printed(false, false, (p) => p.quiet("modem", "at: result with no command in flight: OK"))).toEqual([]);
    expect(printed(false, true, (p) => p.quiet("modem", "at: result with no command in flight: OK"))).toEqual([expect.stringContaining("[modem]   at: result with no command in flight: OK")]);
    expect(JSON.parse(printed(true, true, (p) => p.quiet("modem", "x"))[0]!)).toMatchObject({ source: "modem", text: "x", quiet: true });
  });
});
