/**
 * Firmware entry point (Moddable): settings from the build's `config` and saved preferences,
 * the modem UART of this platform's host binding, and the telemetry application on top.
 */
import config from "mc/config";
import Preference from "preference";
import Instrumentation from "instrumentation";
import { openModemUart } from "cellmqtt/host/uart";
import { TelemetryApp } from "./app.ts";
import { SETTING_KEYS, resolveSettings, type AppSettings } from "./settings.ts";

/** Preference domain for settings changed on the device (NVS: at most 15 characters). */
const DOMAIN = "cellmqtt";

function log(line: string): void {
  trace(`cellmqtt: ${line}\n`);
}

function savedSettings(): Record<string, unknown> {
  const saved: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    // NVS keys are at most 15 characters; longer setting names are not saved.
    if (key.length > 15) continue;
    const value = Preference.get(DOMAIN, key);
    if (value !== undefined) saved[key] = value;
  }
  return saved;
}

function save(key: keyof AppSettings, value: string | number): void {
  if (key.length > 15) return;
  try {
    Preference.set(DOMAIN, key, value);
  } catch (e) {
    log(`could not save ${key}: ${String(e)}`);
  }
}

const heapIndex = Instrumentation.map("System Free Memory");
const settings = resolveSettings(log, config, savedSettings());
const uart = openModemUart();
const app = new TelemetryApp(
  {
    engine: uart.engine,
    clock: uart.clock,
    log,
    freeHeap: () => (heapIndex === undefined ? -1 : (Instrumentation.get(heapIndex) ?? -1)),
    save,
    resetModem: () => {
      if (!uart.pulseReset(300)) uart.pulsePower(1200);
    },
  },
  settings,
);
log(`started: broker ${settings.mqttHost}:${settings.mqttPort}, telemetry every ${app.interval} ms`);
