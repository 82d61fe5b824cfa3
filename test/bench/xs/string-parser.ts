/**
 * The yardstick: an idiomatic string-based AT parser, as one would write it without minding
 * allocation. Bytes become a string per read, the string accumulates, lines are cut at CRLF and
 * matched with a regular expression each; a `+MQTTREAD` header switches to a length-bound read
 * of its `"topic","payload"` record. It reports the same `Events` as the engine driver.
 */
import { EV_MESSAGE, EV_READ, type Events } from "./events.ts";

const READ_HEADER = /^\+MQTTREAD: (\d+),(\d+),(\d+),(\d+),/;
const URC = /^(\+[A-Z]+): *(.*)$/;
const MESSAGE = /^(\d+), *(\d+), *"(.*?)", *"(.*)"$/;
const TWO = /^(\d+), *(\d+)$/;
const FOUR = /^(\d+), *(\d+), *(\d+), *(\d+)$/;
const ERROR = /^(?:\+CM[ES] )?ERROR(?:: *(\d+))?$/;

export class StringParser {
  private buffer = "";
  private need = 0;
  private header: RegExpExecArray | null = null;
  private tag = 0;

  constructor(readonly events: Events) {}

  /** A read from the UART, as bytes. */
  receive(bytes: Uint8Array): void {
    this.feed(String.fromCharCode.apply(null, bytes as unknown as number[]));
  }

  feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      if (this.need > 0) {
        if (this.buffer.length < this.need) return;
        const record = this.buffer.slice(0, this.need);
        this.buffer = this.buffer.slice(this.need);
        this.need = 0;
        this.record(record);
        continue;
      }
      while (this.buffer.startsWith("\r\n")) this.buffer = this.buffer.slice(2);
      const header = READ_HEADER.exec(this.buffer);
      if (header) {
        this.buffer = this.buffer.slice(header[0].length);
        this.header = header;
        this.need = Number(header[3]) + Number(header[4]) + 5;
        continue;
      }
      const eol = this.buffer.indexOf("\r\n");
      if (eol < 0) return;
      const line = this.buffer.slice(0, eol);
      this.buffer = this.buffer.slice(eol + 2);
      if (line) this.line(line);
    }
  }

  private record(record: string): void {
    const h = this.header!;
    const tlen = Number(h[3]);
    const plen = Number(h[4]);
    this.events.message(EV_READ, Number(h[1]), Number(h[2]));
    this.events.text(record.slice(1, 1 + tlen));
    this.events.text(record.slice(tlen + 4, tlen + 4 + plen));
  }

  private line(line: string): void {
    const ev = this.events;
    if (line === "OK") {
      ev.final(++this.tag, 0, -1);
      return;
    }
    const error = ERROR.exec(line);
    if (error) {
      ev.final(++this.tag, line.startsWith("+CME") ? 2 : line.startsWith("+CMS") ? 3 : 1, error[1] ? Number(error[1]) : -1);
      return;
    }
    const urc = URC.exec(line);
    if (!urc) return;
    const body = urc[2]!;
    switch (urc[1]) {
      case "+MQTTMSG": {
        const m = MESSAGE.exec(body);
        if (!m) return;
        ev.message(EV_MESSAGE, Number(m[1]), Number(m[2]));
        ev.text(m[3]!);
        ev.text(m[4]!);
        return;
      }
      case "+MQTTMSGI": {
        const m = FOUR.exec(body);
        if (m) ev.announce(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
        return;
      }
      case "+MQTTPUB":
      case "+MQTTSUB": {
        const m = TWO.exec(body);
        if (m) ev.ack(urc[1] === "+MQTTPUB" ? 1 : 2, Number(m[1]), Number(m[2]));
        return;
      }
      case "+CSQ": {
        const m = TWO.exec(body);
        if (m) ev.csq(Number(m[1]), Number(m[2]));
        return;
      }
    }
  }
}
