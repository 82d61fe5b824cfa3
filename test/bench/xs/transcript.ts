/**
 * A realistic modem transcript for the XS parse benchmark, generated deterministically: mode-1
 * messages (`+MQTTMSGI`, then `+MQTTREAD` with a 200-byte payload that contains quotes, commas
 * and line ends, read by length), mode-0 `+MQTTMSG` lines (with the spaces some firmware puts
 * after commas), publish and subscribe acknowledgements after their `OK`, and `+CSQ` signal
 * reports, both as command responses and unsolicited. Runs in XS and in Node.
 */

import { prng } from "../../support/prng.ts";

/** What the host sends, in order; answers in the transcript come in the same order. */
export const CMD_READ = 0;
export const CMD_PUB = 1;
export const CMD_SUB = 2;
export const CMD_CSQ = 3;

export interface Transcript {
  bytes: Uint8Array;
  /** Commands the host must have queued (CMD_*), in transcript order. */
  commands: Uint8Array;
  /** Non-empty lines, counting a `+MQTTREAD` header and its length-bound record as one. */
  lines: number;
}

const TOPICS = ["devices/4f2a9c/cmd", "devices/4f2a9c/config", "fleet/all/ota", "devices/4f2a9c/cmd/reboot"];

export function generate(targetBytes = 200 * 1024, seed = 0x2545f491): Transcript {
  const random = prng(seed);
  const out = new Uint8Array(targetBytes + 4096);
  const commands: number[] = [];
  let n = 0;
  let lines = 0;
  const put = (s: string): void => {
    for (let i = 0; i < s.length; i++) out[n++] = s.charCodeAt(i);
  };
  const line = (s: string): void => {
    put("\r\n" + s + "\r\n");
    lines++;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

  while (n < targetBytes) {
    const r = random();
    const topic = TOPICS[int(0, TOPICS.length - 1)]!;
    if (r < 0.3) {
      // Mode 1: announced, then read by length after the host's AT+MQTTREAD=1.
      let payload = "";
      for (let i = 0; i < 200; i++) {
        const k = random();
        payload += k < 0.02 ? "\r\n" : k < 0.05 ? '"' : k < 0.1 ? "," : String.fromCharCode(int(0x20, 0x7e));
      }
      payload = payload.slice(0, 200);
      line(`+MQTTMSGI: 1,1,${topic.length},200`);
      commands.push(CMD_READ);
      put(`\r\n+MQTTREAD: 1,1,${topic.length},200,"${topic}","${payload}"\r\n`);
      lines++;
      line("OK");
    } else if (r < 0.55) {
      // Mode 0: a small JSON command, quoted, spaces after commas.
      const payload = `{"seq":${int(0, 99999)},"set":{"led":${int(0, 1)},"level":${int(0, 255)}}}`;
      line(`+MQTTMSG: 1, ${int(0, 1)}, "${topic}", "${payload}"`);
    } else if (r < 0.8) {
      commands.push(CMD_PUB);
      line("OK");
      line(`+MQTTPUB: 1,1`);
    } else if (r < 0.85) {
      commands.push(CMD_SUB);
      line("OK");
      line(`+MQTTSUB: 1,1`);
    } else if (r < 0.95) {
      commands.push(CMD_CSQ);
      line(`+CSQ: ${int(5, 31)},99`);
      line("OK");
    } else {
      line(`+CSQ: ${int(5, 31)},99`);
    }
  }
  return { bytes: out.slice(0, n), commands: Uint8Array.from(commands), lines };
}
