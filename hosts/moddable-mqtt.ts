/**
 * Module `mqtt` (manifest_mqtt.json): the Moddable SDK's older MQTT client API
 * (modules/mqtt/moddable-mqtt-client.ts) on the device's shared modem, so `import Client from
 * "mqtt"` and `new Client({host, ...})` work unchanged. A `modem` option still wins.
 */
import Base, { type MqttDictionary } from "cellmqtt/mqtt/moddable-mqtt-client";
import { sharedModem } from "cellmqtt/moddable-modem";

export default class Client extends Base {
  constructor(dictionary: Omit<MqttDictionary, "modem"> & Partial<Pick<MqttDictionary, "modem">>) {
    super({ modem: sharedModem, ...dictionary } as MqttDictionary);
  }
}
export { Client };
