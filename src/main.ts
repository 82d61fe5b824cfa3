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

/** Instrumentation figures, where the build counts them (undefined: not counted here). */
const freeIndex = Instrumentation.map("System Free Memory");
const slotIndex = Instrumentation.map("XS Slot Heap Used");
const chunkIndex = Instrumentation.map("XS Chunk Heap Used");
const stackIndex = Instrumentation.map("XS Stack Used");
function figure(index: number | undefined): number {
  return index === undefined ? -1 : (Instrumentation.get(index) ?? -1);
}

const settings = resolveSettings(log, config, savedSettings(Preference));
const boots = countBoot(Preference);
const uart = openModemUart();
const app = new TelemetryApp(
  {
    engine: uart.engine,
    clock: uart.clock,
    log,
    freeHeap: () => figure(freeIndex),
    engineHeap: () => ({ slots: figure(slotIndex), chunks: figure(chunkIndex), stackPeak: figure(stackIndex) }),
    save: (key, value) => saveSetting(Preference, key, value, log),
    // Math.random is an unseeded rand() in the simulator: the jitter needs what differs per device and boot.
    seed: `${settings.mqttClientId}|${boots}|${Date.now()}`,
    resetModem: () => {
      if (!uart.pulseReset(300)) uart.pulsePower(1200);
    },
  },
  settings,
);
uart.onLost = (reason) => app.modem.link.resync(reason);
log(`started: broker ${settings.mqttHost}:${settings.mqttPort}, telemetry every ${app.interval} ms`);
