/**
 * `embedded:network/mqtt/client` as this project implements it: the ECMA-419 MQTT client over the
 * cellular modem (modules/mqtt/ecma419-client.ts; modules/mqtt/manifest.json maps the specifier).
 * Its options differ from the Moddable SDK's typings: `onControl` takes one argument, and `modem`
 * and `slot` replace `dns` and `socket`.
 */
declare module "embedded:network/mqtt/client" {
  export { default } from "cellmqtt/mqtt/ecma419-client";
  export type {
    BufferLike,
    ClientOptions,
    ControlMessage,
    ReadableOptions,
    SubscribeItem,
    WillOptions,
    WriteOptions,
  } from "cellmqtt/mqtt/ecma419-client";
}
