/**
 * Settings saved on the device (the `interval` command's value among them) survive a restart,
 * through a stand-in of the ESP32's `preference` with NVS's limits.
 */
import { beforeEach, describe, expect, it } from "vitest";
import Preference from "../firmware/moddable/preference.ts";
import { DEFAULT_SETTINGS, PREFERENCE_DOMAIN, PREFERENCE_KEYS, SETTING_KEYS, resolveSettings, saveSetting, savedSettings, type AppSettings } from "../../src/settings.ts";

beforeEach(() => Preference.erase());

/** What the next boot reads: the build's config, then what was saved. */
function nextBoot(config: Record<string, unknown> = {}): { settings: AppSettings; warnings: string[] } {
  const warnings: string[] = [];
  const settings = resolveSettings((w) => warnings.push(w), config, savedSettings(Preference));
  return { settings, warnings };
}

describe("saved settings", () => {
  it("every setting has its own preference key that NVS takes (at most 15 characters)", () => {
    expect(PREFERENCE_DOMAIN.length).toBeLessThanOrEqual(15);
    const keys = SETTING_KEYS.map((k) => PREFERENCE_KEYS[k]);
    for (const key of keys) expect(key.length, key).toBeLessThanOrEqual(15);
    expect(new Set(keys).size).toBe(SETTING_KEYS.length);
  });

  it("the telemetry interval set by the `interval` command is read back at the next boot", () => {
    const warnings: string[] = [];
    saveSetting(Preference, "telemetryInterval", 5000, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    expect(Preference.get(PREFERENCE_DOMAIN, "interval")).toBe(5000);
    const boot = nextBoot({ telemetryInterval: 60000 });
    expect(boot.settings.telemetryInterval).toBe(5000);
    expect(boot.warnings).toEqual([]);
  });

  it("every setting saves and loads back, strings and numbers alike", () => {
    const changed: AppSettings = {
      mqttHost: "broker.lan",
      mqttPort: 8883,
      mqttClientId: "pump-17",
      mqttUser: "pump",
      mqttPassword: "secret",
      mqttKeepalive: 120,
      mqttTls: 1,
      apn: "iot.example",
      topicTelemetry: "p/17/t",
      topicCommands: "p/17/c",
      topicResponses: "p/17/r",
      telemetryInterval: 86_400_000,
    };
    const warnings: string[] = [];
    for (const key of SETTING_KEYS) saveSetting(Preference, key, changed[key], (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    expect(nextBoot().settings).toEqual(changed);
    expect(nextBoot().settings).not.toEqual(DEFAULT_SETTINGS);
  });

  it("the stand-in refuses what NVS refuses: a long key, a long string, a fraction", () => {
    expect(() => Preference.set(PREFERENCE_DOMAIN, "telemetryInterval", 5000)).toThrow("nvs set fail");
    expect(Preference.get(PREFERENCE_DOMAIN, "telemetryInterval")).toBeUndefined();
    expect(() => Preference.set("cellmqtt-settings", "interval", 1)).toThrow("nvs_open fail");
    expect(() => Preference.set(PREFERENCE_DOMAIN, "interval", 1.5)).toThrow("float unsupported");
    expect(() => Preference.set(PREFERENCE_DOMAIN, "apn", "x".repeat(4000))).toThrow("nvs set fail"); // 4000 bytes with its NUL at most
    Preference.set(PREFERENCE_DOMAIN, "apn", "x".repeat(3999));
    expect(Preference.get(PREFERENCE_DOMAIN, "apn")).toHaveLength(3999);
  });

  it("a value the store refuses is reported by name, not thrown, and the setting keeps its value", () => {
    const warnings: string[] = [];
    saveSetting(Preference, "topicTelemetry", "t".repeat(5000), (w) => warnings.push(w));
    expect(warnings).toEqual(["could not save topicTelemetry: Error: nvs set fail"]);
    expect(nextBoot().settings.topicTelemetry).toBe(DEFAULT_SETTINGS.topicTelemetry);
  });
});
