/** What the host CLI prints: one human-readable line per event, or one JSON object per line. */
export class Printer {
  constructor(private readonly json: boolean) {}

  /** `source` says who speaks: modem, mqtt, app, broker, peer, fault. */
  line(source: string, text: string, extra?: Record<string, unknown>): void {
    const time = new Date().toISOString();
    if (this.json) console.log(JSON.stringify({ time, source, text, ...extra }));
    else console.log(`${time.slice(11, 23)} ${`[${source}]`.padEnd(9)} ${text}`);
  }
}

/** A payload for a log line: text when printable, else hex. */
export function show(payload: Uint8Array): string {
  let printable = true;
  for (const b of payload) if (b < 0x20 || b > 0x7e) printable = false;
  const s = Buffer.from(payload).toString(printable ? "latin1" : "hex");
  return printable ? s : `0x${s}`;
}
