/**
 * The MQTT.js-style client over the device's modem: connect, subscribe to a command topic,
 * publish a counter every 5 s (QoS 1, queued while offline), echo what arrives, and log every
 * reconnection the client makes on its own.
 */
import config from "mc/config";
import { connect } from "cellmqtt/mqtt/client";
import { sharedModem } from "cellmqtt/moddable-modem";

const base = "cellmqtt/example";
const client = connect(sharedModem(), {
  host: String(config["mqttHost"]),
  port: Number(config["mqttPort"]),
  clientId: "cellmqtt-mqttjs",
  keepalive: 60,
  will: { topic: `${base}/status`, payload: "offline", qos: 1, retain: true },
});

let count = 0;
client.on("connect", () => {
  trace("connected\n");
  client.subscribe(`${base}/in/#`, { qos: 1 }, (error) => trace(error ? `subscribe failed: ${error.message}\n` : "subscribed\n"));
  client.publish(`${base}/status`, "online", { qos: 1, retain: true });
});
client.on("message", (topic, payload) => {
  trace(`${topic}: ${String.fromCharCode(...payload)}\n`);
  client.publish(`${base}/echo`, payload.slice());
});
client.on("offline", (reason) => trace(`offline: ${reason}\n`));
client.on("error", (error) => trace(`error: ${error.message}\n`));
client.on("log", (line) => trace(`${line}\n`));

const modem = sharedModem();
const timer = modem.clock.timer(() => {
  timer.schedule(5000);
  client.publish(`${base}/count`, String(++count), { qos: 1 }, (error) => {
    if (error) trace(`count ${count} not delivered: ${error.message}\n`);
  });
});
timer.schedule(5000);
