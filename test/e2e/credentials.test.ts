/**
 * Bad credentials against a mosquitto with a password file: the broker's CONNACK refusal
 * surfaces as the modem's `ERROR: 703`/`704` and an MqttError BAD_USERNAME_OR_PASSWORD /
 * NOT_AUTHORIZED, and the client jumps to its capped reconnect delay instead of storming
 * (AT+MQTTOPEN attempts counted over a few seconds with a 200 ms reconnect period).
 * Both open-result styles: "deferred" (the refusal is AT+MQTTOPEN's final result) and
 * "immediate-error" (OK at once, the refusal later as an unsolicited `ERROR: 70x`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MqttError } from "cellmqtt/mqtt/client";
import type { OpenResultStyle } from "../../hosts/emulator/index.ts";
import { startMosquitto, type Mosquitto } from "./mosquitto.ts";
import { Rig, sleep, waitFor } from "./rig.ts";

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto({ users: { dev: "s3cret" } });
});

afterAll(async () => broker?.stop());

const WATCH_MS = 3000;
const MAX_PERIOD = 2000;

const cases: { style: OpenResultStyle; username?: string; password?: string }[] = [
  { style: "deferred", username: "dev", password: "wrong" },
  { style: "immediate-error", username: "dev", password: "wrong" },
  { style: "deferred" }, // anonymous, which this broker does not allow
  { style: "immediate-error", username: "nobody", password: "x" },
];

// The four refusals watch the clock for 3 s each: run them side by side.
describe.concurrent("refused credentials", () => {
  for (const c of cases) {
    it(`${c.style}, user ${c.username ?? "(none)"}: ERROR: 70x, a refusal error, and no reconnect storm`, async () => {
      const rig = new Rig(
        {
          brokerUrl: broker.url,
          port: broker.port,
          modem: { openResult: c.style },
          client: { username: c.username ?? "", password: c.password ?? "", reconnectPeriod: 200, reconnectMaxPeriod: MAX_PERIOD },
        },
        `cred-${c.style === "deferred" ? "d" : "ie"}-${c.username ?? "anon"}`,
      );
      try {
        await waitFor(() => rig.errors.length > 0, 3000, () => rig.describe());
        await sleep(WATCH_MS);
        const e = rig.errors[0]!;
        expect(e).toBeInstanceOf(MqttError);
        const err = e as MqttError;
        expect(["BAD_USERNAME_OR_PASSWORD", "NOT_AUTHORIZED"]).toContain(err.code);
        expect(err.modemCode).toBe(err.code === "BAD_USERNAME_OR_PASSWORD" ? 703 : 704);
        expect(err.permanent).toBe(true);
        expect(rig.modemOut).toContain(`\r\nERROR: ${err.modemCode}\r\n`);
        if (c.style === "immediate-error") expect(rig.modemOut).toMatch(/\r\nOK\r\n(\r\n[^\r]*\r\n)*?\r\nERROR: 70[34]\r\n/);

        // No storm: the first refusal jumps to the capped delay (2000 ms), so over the next
        // 3 s the modem sees at most one more attempt, never sooner than the cap.
        const opens = rig.vm.log.lines.filter((l) => l.kind === "command" && l.text.startsWith("AT+MQTTOPEN="));
        expect(opens.length, rig.describe()).toBeGreaterThanOrEqual(1);
        expect(opens.length, rig.describe()).toBeLessThanOrEqual(1 + Math.ceil(WATCH_MS / MAX_PERIOD));
        for (let i = 1; i < opens.length; i++) expect(opens[i]!.time - opens[i - 1]!.time).toBeGreaterThanOrEqual(MAX_PERIOD - 50);
        expect(rig.errors.every((x) => x instanceof MqttError && x.code === err.code)).toBe(true);
        expect(rig.errors.length).toBe(opens.length);
        expect(rig.count("connect")).toBe(0);
      } finally {
        await rig.close();
      }
    });
  }

  it("the right password connects (the same broker, both styles)", async () => {
    for (const style of ["deferred", "immediate-error"] as const) {
      const rig = new Rig(
        { brokerUrl: broker.url, port: broker.port, modem: { openResult: style }, client: { username: "dev", password: "s3cret" } },
        `cred-ok-${style}`,
      );
      try {
        await rig.connected();
        expect(rig.errors).toEqual([]);
      } finally {
        await rig.close();
      }
    }
  });
});
