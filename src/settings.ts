/**
 * The application's settings: built-in defaults, then the build's configuration (manifest
 * `config`, a board's, `mcconfig ... key=value`), then overrides saved on the device. Values
 * from the command line arrive as strings, so every field is coerced and checked here, and a bad
 * one is reported by name and falls back to its default rather than stopping the device.
 */
export interface AppSettings {
  mqttHost: string;
  mqttPort: number;
  mqttClientId: string;
  mqttUser: string;
  mqttPassword: string;
  mqttKeepalive: number;
  /** `AT+MQTTOPEN` TLS argument on firmware that takes one; -1 for none. */
  mqttTls: number;
  apn: string;
  topicTelemetry: string;
  topicCommands: string;
  /** Replies to commands go here. */
  topicResponses: string;
  telemetryInterval: number;
}

export const DEFAULT_SETTINGS: AppSettings = {
  mqttHost: "test.mosquitto.org",
  mqttPort: 1883,
  mqttClientId: "",
  mqttUser: "",
  mqttPassword: "",
  mqttKeepalive: 60,
  mqttTls: -1,
  apn: "",
  topicTelemetry: "cellmqtt/telemetry",
  topicCommands: "cellmqtt/commands",
  topicResponses: "cellmqtt/responses",
  telemetryInterval: 60000,
};

/** Settings whose values never appear in a warning or a log line. */
export const SECRET_KEYS: readonly (keyof AppSettings)[] = ["mqttPassword", "mqttUser"];

/** Keys a device may override at run time (stored with `preference`, see PREFERENCE_KEYS). */
export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof AppSettings)[];

/**
 * Where saved settings live: `preference` domain and one key per setting. On the ESP32 the
 * preference store is NVS, which refuses domains and keys longer than 15 characters (and
 * string values over 4000 bytes), so each setting has a key that fits.
 */
export const PREFERENCE_DOMAIN = "cellmqtt";
export const PREFERENCE_KEYS: Readonly<Record<keyof AppSettings, string>> = {
  mqttHost: "mqttHost",
  mqttPort: "mqttPort",
  mqttClientId: "mqttClientId",
  mqttUser: "mqttUser",
  mqttPassword: "mqttPassword",
  mqttKeepalive: "mqttKeepalive",
  mqttTls: "mqttTls",
  apn: "apn",
  topicTelemetry: "topicTelemetry",
  topicCommands: "topicCommands",
  topicResponses: "topicResponses",
  telemetryInterval: "interval",
};

/** The part of Moddable's `preference` module the settings use. */
export interface PreferenceStore {
  get(domain: string, key: string): unknown;
  set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void;
}

/** The settings saved on the device, by setting name (a layer for resolveSettings). */
export function savedSettings(store: PreferenceStore): Record<string, unknown> {
  const saved: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = store.get(PREFERENCE_DOMAIN, PREFERENCE_KEYS[key]);
    if (value !== undefined) saved[key] = value;
  }
  return saved;
}

/** Preference key of the boot count, which seeds the reconnect jitter with the client id. */
export const BOOTS_KEY = "boots";

/**
 * Counts this boot: the saved count plus one, saved again (0 if the store refuses it). Devices
 * whose clocks start the same at every boot still draw different reconnect delays each boot.
 */
export function countBoot(store: PreferenceStore): number {
  const saved = store.get(PREFERENCE_DOMAIN, BOOTS_KEY);
  const boots = typeof saved === "number" && Number.isInteger(saved) && saved >= 0 && saved < 0x7fffffff ? saved + 1 : 1;
  try {
    store.set(PREFERENCE_DOMAIN, BOOTS_KEY, boots);
  } catch {
    return 0;
  }
  return boots;
}

/** Saves one setting; a store that refuses it is reported through `warn`, not thrown. */
export function saveSetting(store: PreferenceStore, key: keyof AppSettings, value: string | number, warn: (message: string) => void): void {
  try {
    store.set(PREFERENCE_DOMAIN, PREFERENCE_KEYS[key], value);
  } catch (e) {
    warn(`could not save ${key}: ${String(e)}`);
  }
}

/** Telemetry interval bounds, ms. */
export const INTERVAL_MIN = 1000;
export const INTERVAL_MAX = 86_400_000;

/**
 * Merges `layers` (later wins) over the defaults. Unknown keys are ignored; a value of the wrong
 * type or out of range is reported through `warn` and skipped.
 */
export function resolveSettings(warn: (message: string) => void, ...layers: Readonly<Record<string, unknown>>[]): AppSettings {
  const out: AppSettings = { ...DEFAULT_SETTINGS };
  const target = out as unknown as Record<string, string | number>;
  for (const layer of layers) {
    for (const key of SETTING_KEYS) {
      const raw = layer[key];
      if (raw === undefined || raw === null) continue;
      const fallback = DEFAULT_SETTINGS[key];
      if (typeof fallback === "number") {
        const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
        const problem = numberProblem(key, n);
        if (problem) warn(`setting ${key}: ${problem}; keeping ${shown(key, target[key]!)}`);
        else target[key] = n;
      } else if (typeof raw === "string") target[key] = raw;
      else warn(`setting ${key}: expected a string, got ${typeof raw}; keeping ${shown(key, target[key]!)}`);
    }
  }
  return out;
}

/** How a warning shows a setting's value: a secret only by whether it is set. */
function shown(key: keyof AppSettings, value: string | number): string {
  if (SECRET_KEYS.includes(key)) return value === "" ? "the empty value" : "the value set before (not shown)";
  return typeof value === "string" ? `"${value}"` : String(value);
}

function numberProblem(key: keyof AppSettings, n: number): string {
  if (!Number.isInteger(n)) return `expected an integer, got ${n}`;
  switch (key) {
    case "mqttPort":
      return n >= 1 && n <= 65535 ? "" : `must be 1 to 65535, got ${n}`;
    case "mqttKeepalive":
      return n >= 1 && n <= 300 ? "" : `must be 1 to 300, got ${n}`;
    case "telemetryInterval":
      return n >= INTERVAL_MIN && n <= INTERVAL_MAX ? "" : `must be ${INTERVAL_MIN} to ${INTERVAL_MAX} ms, got ${n}`;
    case "mqttTls":
      return n >= -1 && n <= 9 ? "" : `must be -1 (none) to 9, got ${n}`;
    default:
      return "";
  }
}
