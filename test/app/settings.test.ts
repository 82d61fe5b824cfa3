import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, resolveSettings } from "../../src/settings.ts";

describe("settings layers", () => {
  it("takes defaults, then config, then saved preferences, later winning", () => {
    const warnings: string[] = [];
    const s = resolveSettings((w) => warnings.push(w), { mqttHost: "broker.lan", mqttPort: 8883 }, { mqttPort: 1884, apn: "iot" });
    expect(s).toEqual({ ...DEFAULT_SETTINGS, mqttHost: "broker.lan", mqttPort: 1884, apn: "iot" });
    expect(warnings).toEqual([]);
  });

  it("coerces numbers given as strings (mcconfig key=value)", () => {
    const s = resolveSettings(() => {}, { mqttPort: "1885", telemetryInterval: "5000" });
    expect([s.mqttPort, s.telemetryInterval]).toEqual([1885, 5000]);
  });

  it("names a bad value and its range, and keeps the previous one", () => {
    const warnings: string[] = [];
    const s = resolveSettings((w) => warnings.push(w), { mqttPort: "70000", telemetryInterval: 10, mqttKeepalive: "x", mqttHost: 5 });
    expect(s.mqttPort).toBe(DEFAULT_SETTINGS.mqttPort);
    expect(s.telemetryInterval).toBe(DEFAULT_SETTINGS.telemetryInterval);
    expect(warnings).toEqual([
      "setting mqttHost: expected a string, got number; keeping \"test.mosquitto.org\"",
      "setting mqttPort: must be 1 to 65535, got 70000; keeping 1883",
      "setting mqttKeepalive: expected an integer, got NaN; keeping 60",
      "setting telemetryInterval: must be 1000 to 86400000 ms, got 10; keeping 60000",
    ]);
  });

  it("never echoes the value of a secret setting (password, user name)", () => {
    const warnings: string[] = [];
    const s = resolveSettings((w) => warnings.push(w), { mqttPassword: "S3cretPW", mqttUser: "pump-user" }, { mqttPassword: 1234, mqttUser: false });
    expect([s.mqttPassword, s.mqttUser]).toEqual(["S3cretPW", "pump-user"]);
    expect(warnings).toEqual([
      "setting mqttUser: expected a string, got boolean; keeping the value set before (not shown)",
      "setting mqttPassword: expected a string, got number; keeping the value set before (not shown)",
    ]);
    for (const w of warnings) expect(w).not.toMatch(/S3cretPW|pump-user|1234/);
  });
});
