/**
 * The contract every Moddable host binding implements under the one module specifier
 * `cellmqtt/host/uart`: the manifest maps it to hosts/esp32/uart.ts on esp32 and to
 * hosts/simulator/uart.ts on lin/mac/win, so the app imports it the same way everywhere.
 */
declare module "cellmqtt/host/uart" {
  import type { AtEngine, AtEngineOptions } from "cellmqtt/at/engine";
  import type { Clock } from "cellmqtt/at/port";

  /** Engine sizes the app may choose; the host sets the port, clock, stage and TX budget. */
  export type EngineTuning = Pick<AtEngineOptions, "rxCapacity" | "txCapacity" | "queueDepth">;

  export interface ModemUartSettings {
    baud: number;
    /** ESP32: UART number (1 or 2; UART0 is xsbug's in debug builds). */
    port?: number;
    /** ESP32: GPIO wired to the modem's TX (our RX). */
    receive?: number;
    /** ESP32: GPIO wired to the modem's RX (our TX). */
    transmit?: number;
    /** ESP32: GPIO driving the modem's PWRKEY; negative or absent: none. */
    powerPin?: number;
    /** True when the GPIO drives PWRKEY directly (low = pressed); false behind an NPN inverter. */
    powerActiveLow?: boolean;
    /** ESP32: GPIO driving the modem's RESET_N; negative or absent: none. */
    resetPin?: number;
    resetActiveLow?: boolean;
    /** Simulator: serial device path (a pty from socat, /dev/ttyUSB0). */
    device?: string;
  }

  export interface ModemUart {
    /** The AT engine, fed by this UART. */
    readonly engine: AtEngine;
    /** The clock the engine runs on; hand it to whatever else needs time (the modem). */
    readonly clock: Clock;
    /**
     * Holds the power key for `ms` (Fibocom: ~1 s powers on, ~3 s powers off), then calls
     * `done`. False, and no call, when there is no power pin.
     */
    pulsePower(ms: number, done?: () => void): boolean;
    /** Holds reset for `ms`, then calls `done`. False when there is no reset pin. */
    pulseReset(ms: number, done?: () => void): boolean;
    /**
     * Simulator: the serial device failed (the pty closed, the USB modem was unplugged). The
     * host has stopped using it and reopens it with backoff; what is written meanwhile is lost.
     */
    onLost?: ((reason: string) => void) | null;
    /** Simulator: the device is open again after `onLost`. */
    onRestored?: (() => void) | null;
    close(): void;
  }

  /** Settings from `mc/config`: the manifest's `config`, a board's, `mcconfig ... key=value`. */
  export function configuredSettings(): ModemUartSettings;

  /** Opens the UART and makes the engine on it. Call once, at start-up. */
  export function openModemUart(settings?: ModemUartSettings, tuning?: EngineTuning): ModemUart;
}
