/**
 * The device's one modem, made on first use. Module `cellmqtt/moddable-modem`.
 *
 * Moddable apps keep their network settings in a deep-frozen object made at preload (the SDK's
 * `device.network.mqtt`). The modem cannot live there: it owns a UART and timers, which can be
 * neither frozen (`Object.freeze(..., true)` fails with "extensible object") nor opened at
 * preload. Such settings hold `sharedModem` itself, a function, and the clients call it when
 * they need the modem: `modem: sharedModem` in the options of `embedded:network/mqtt/client`.
 */
import config from "mc/config";
import { openModemUart } from "cellmqtt/host/uart";
import { CellularModem } from "cellmqtt/modem/modem";

let modem: CellularModem | null = null;

function log(line: string): void {
  trace(`cellmqtt: ${line}\n`);
}

/** Opens the modem's UART (from the build's `config`: `modemUart`, `modemRx` ... `apn`) the first time. */
export function sharedModem(): CellularModem {
  if (modem !== null) return modem;
  const uart = openModemUart();
  const apn = config["apn"];
  const made = new CellularModem(uart.engine, uart.clock, {
    network: { apn: typeof apn === "string" ? apn : "" },
    log,
    resetModem: () => {
      if (!uart.pulseReset(300)) uart.pulsePower(1200);
    },
  });
  uart.onLost = (reason) => made.link.resync(reason);
  modem = made;
  return made;
}
