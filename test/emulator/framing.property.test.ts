/** Property: however the device's writes are split, the modem sees the same lines and answers the same bytes. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualModem } from "../../hosts/emulator/index.ts";
import type { BrokerLink } from "../../hosts/emulator/broker-link.ts";

const SCRIPT = Buffer.concat([
  Buffer.from('AT\rATE1\rAT+MQTTCONF=1\r\nAT+MQTTUSER=1,"u","p"\rAT+MQTTWILL=1,"w",1,0,"bye"\rAT+MQTTPUB=1,"t",0,0,6\r', "latin1"),
  Buffer.from([13, 10, 0x22, 0, 0xff, 0x41]),
  Buffer.from("AT+MQTTWILL?\rAT+CSQ\rAT+BOGUS\rATE0\rAT+MQTTREAD=2\r", "latin1"),
]);

/** Client 1 open on a link that accepts every publish at once: no broker needed for framing. */
function openWithoutBroker(modem: VirtualModem): void {
  const slot = modem.state.slots[0];
  slot.status = "open";
  const link = {
    publish: (_t: Buffer, _p: Buffer, _q: number, _r: boolean, done: (ok: boolean) => void) => done(true),
    abandon: () => {},
  };
  slot.link = link as unknown as BrokerLink;
}

async function run(cuts: number[]): Promise<{ out: string; lines: string[]; payloads: string[] }> {
  const modem = new VirtualModem({ latencyMs: 0 });
  let out = "";
  modem.on("output", (b) => (out += Buffer.from(b).toString("latin1")));
  modem.start();
  await new Promise((r) => setTimeout(r, 0));
  openWithoutBroker(modem);
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    modem.input(SCRIPT.subarray(at, cut));
    at = cut;
    // Let the data-phase continuation run between some writes, as a real UART would.
    if (cut % 3 === 0) await Promise.resolve();
  }
  modem.input(SCRIPT.subarray(at));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 5));
  await modem.close();
  return {
    out,
    lines: modem.log.lines.map((l) => `${l.kind}:${l.text}`),
    payloads: modem.log.payloads.map((p) => Buffer.from(p.bytes).toString("hex")),
  };
}

describe("framing", () => {
  it("is independent of how the input is split", async () => {
    const whole = await run([]);
    expect(whole.payloads).toEqual(["0d0a2200ff41"]);
    expect(whole.lines).toContain("command:AT+MQTTWILL?");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: SCRIPT.length - 1 }), { maxLength: 30 }), async (cuts) => {
        expect(await run(cuts)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });
});
