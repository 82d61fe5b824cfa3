/**
 * Firmware entry point (Moddable): settings from the build's `config` and saved preferences,
 * the modem UART of this platform's host binding, and the telemetry application on top.
 */
import config from "mc/config";
import Preference from "preference";
import Instrumentation from "instrumentation";
import { openModemUart } from "cellmqtt/host/uart";
import { TelemetryApp } from "./app.ts";
import { countBoot, resolveSettings, saveSetting, savedSettings } from "./settings.ts";

function log(line: string): void {
  trace(`cellmqtt: ${line}\n`);
}

const heapIndex = Instrumentation.map("System Free Memory");
const settings = resolveSettings(log, config, savedSettings(Preference));
const boots = countBoot(Preference);
const uart = openModemUart();
const app = new TelemetryApp(
  {
    engine: uart.engine,
    clock: uart.clock,
    log,
    freeHeap: () => (heapIndex === undefined ? -1 : (Instrumentation.get(heapIndex) ?? -1)),
    save: (key, value) => saveSetting(Preference, key, value, log),
    // Math.random is an unseeded rand() in the simulator: the jitter needs what differs per device and boot.
    seed: `${settings.mqttClientId}|${boots}|${Date.now()}`,
    resetModem: () => {
      if (!uart.pulseReset(300)) uart.pulsePower(1200);
    },
  },
  settings,
);
log(`started: broker ${settings.mqttHost}:${settings.mqttPort}, telemetry every ${app.interval} ms`);
