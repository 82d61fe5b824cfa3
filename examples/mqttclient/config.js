/*
 * The SDK's network configuration pattern, with the cellular modem in place of Wi-Fi: the
 * ECMA-419 MQTT client as `device.network.mqtt.io`, the modem as `device.network.mqtt.modem`.
 *
 * This object is deep-frozen and made at preload, so it cannot hold the modem itself (a modem
 * owns a UART and timers: it can be neither frozen nor opened at preload). It holds
 * `sharedModem`, a function; the client calls it, and the modem is made on first use.
 */
import MQTTClient from "embedded:network/mqtt/client";
import { sharedModem } from "cellmqtt/moddable-modem";

globalThis.device = Object.freeze({
	...globalThis.device,
	network: {
		...globalThis.device?.network,
		mqtt: {
			io: MQTTClient,
			modem: sharedModem,
		},
	},
}, true);
