/**
 * Placeholder entry point so the Moddable build has its `main` module; the application replaces
 * it. Opens the modem UART of this platform's host binding.
 */
import { openModemUart } from "cellmqtt/host/uart";

const uart = openModemUart();
trace(`cellmqtt: modem UART open, ${uart.engine.queueFree} command slots free\n`);
