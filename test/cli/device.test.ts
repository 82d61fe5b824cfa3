import { Duplex, PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { DeviceKeeper } from "../../hosts/node/device.ts";
import { until } from "../support/wait.ts";

/** A device stream the test can end or break. */
function fakeStream(): Duplex {
  return new PassThrough();
}

describe("DeviceKeeper: a modem that vanishes", () => {
  it("reports a stream that ends at once, then reopens the device", async () => {
    const streams: Duplex[] = [];
    const events: string[] = [];
    const keeper = new DeviceKeeper(
      async () => {
        const s = fakeStream();
        streams.push(s);
        return s;
      },
      {
        opened: (_s, again) => events.push(again ? "opened again" : "opened"),
        lost: (why) => events.push(`lost: ${why} (${streams.length} opened so far)`),
        retrying: (why) => events.push(`retrying: ${why}`),
      },
      50,
      400,
    );
    await keeper.start();
    expect(events).toEqual(["opened"]);
    streams[0]!.push(null); // the far end closed it
    streams[0]!.resume();
    await until("the loss", () => events.length > 1);
    // Told before any reopening is tried.
    expect(events[1]).toBe("lost: ended (the device closed it) (1 opened so far)");
    await until("the reopen", () => events.length > 2);
    expect(events.slice(2)).toEqual(["opened again"]);
    expect(streams.length).toBe(2);
    keeper.stop();
    expect(streams[1]!.destroyed).toBe(true);
  });

  it("reports an error as the loss, once, and backs off while the device cannot be opened", async () => {
    let opens = 0;
    const openedAt: number[] = [];
    const events: string[] = [];
    let first: Duplex | undefined;
    const keeper = new DeviceKeeper(
      async () => {
        opens++;
        openedAt.push(Date.now());
        if (opens === 1) return (first = fakeStream());
        if (opens < 4) throw new Error("ENOENT /dev/ttyUSB2");
        return fakeStream();
      },
      {
        opened: (_s, again) => events.push(again ? "opened again" : "opened"),
        lost: (why) => events.push(`lost: ${why}`),
        retrying: (why, ms) => events.push(`retrying in ${ms}: ${why}`),
      },
      40,
      1000,
    );
    await keeper.start();
    first!.destroy(new Error("read EIO"));
    await until("the reopen", () => events.includes("opened again"), 4000);
    keeper.stop();
    expect(events).toEqual(["opened", "lost: failed: read EIO", "retrying in 80: ENOENT /dev/ttyUSB2", "retrying in 160: ENOENT /dev/ttyUSB2", "opened again"]);
    // Waits: 40, 80, 160 ms (timers fire no earlier than asked).
    expect(openedAt[2]! - openedAt[1]!).toBeGreaterThanOrEqual(75);
    expect(openedAt[3]! - openedAt[2]!).toBeGreaterThanOrEqual(155);
  });

  it("after stop nothing is reopened", async () => {
    let opens = 0;
    const s = fakeStream();
    const keeper = new DeviceKeeper(async () => (opens++, s), { opened: () => {}, lost: () => {}, retrying: () => {} }, 10, 10);
    await keeper.start();
    keeper.stop();
    await new Promise((r) => setTimeout(r, 60));
    expect(opens).toBe(1);
  });
});
