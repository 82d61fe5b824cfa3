/**
 * `embedded:network/mqtt/client` (see manifest.json): the ECMA-419 MQTT client over the
 * cellular modem. The class itself is in ecma419-client.ts, so each source is built once.
 */
export { default } from "cellmqtt/mqtt/ecma419-client";
