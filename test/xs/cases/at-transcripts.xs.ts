/**
 * The AT engine's transcript tests (test/at/transcripts.ts, driven by the same Recorder as the
 * Node tests) inside XS: every transcript fed whole, split at every byte boundary, one byte at
 * a time and in pseudo-random chunks, must give exactly the expected events and writes.
 */
import { Recorder } from "../../at/recorder.ts";
import { transcripts, type Transcript } from "../../at/transcripts.ts";
import { assert, assertEqual, assertSameList, run, test } from "../harness.ts";
import { prng } from "../../support/prng.ts";

function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function feed(t: Transcript, chunks: Uint8Array[]): Recorder {
  const r = new Recorder();
  for (const c of t.commands) assert(r.queue(c) > 0, `queue ${c.line}`);
  r.feed(chunks);
  return r;
}

function cutAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    if (cut <= from || cut >= data.length) continue;
    parts.push(data.slice(from, cut));
    from = cut;
  }
  parts.push(data.slice(from));
  return parts;
}

for (const t of transcripts) {
  const data = bytesOf(t.modem);

  test(`${t.name}: expected events when fed whole`, () => {
    const r = feed(t, [data]);
    assertSameList(r.events, t.events, "events");
    assertEqual(r.engine.queued, 0, "commands left queued");
  });

  test(`${t.name}: every command written once, in order, data after its prompt`, () => {
    const r = feed(t, [data]);
    let expected = "";
    for (const c of t.commands) {
      expected += c.line + "\r";
      if (c.data) for (const b of c.data) expected += String.fromCharCode(b);
    }
    assertEqual(r.uart.text(), expected, "written");
  });

  test(`${t.name}: same events split at every byte boundary`, () => {
    for (let cut = 1; cut < data.length; cut++) assertSameList(feed(t, cutAt(data, [cut])).events, t.events, `split at ${cut}`);
  });

  test(`${t.name}: same events one byte at a time`, () => {
    const bytes: Uint8Array[] = [];
    for (let i = 0; i < data.length; i++) bytes.push(data.slice(i, i + 1));
    assertSameList(feed(t, bytes).events, t.events, "events");
  });

  test(`${t.name}: same events in 100 pseudo-random chunkings`, () => {
    const random = prng(0x5eed + data.length);
    for (let n = 0; n < 100; n++) {
      const cuts: number[] = [];
      const count = 1 + Math.floor(random() * 40);
      for (let k = 0; k < count; k++) cuts.push(1 + Math.floor(random() * (data.length - 1)));
      cuts.sort((a, b) => a - b);
      assertSameList(feed(t, cutAt(data, cuts)).events, t.events, `cuts ${cuts.join(",")}`);
    }
  });
}

run();
