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

/** Keys a device may override at run time (stored with `preference`, domain "cellmqtt"). */
export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof AppSettings)[];

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
