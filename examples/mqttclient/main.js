/*
 * The flow of the SDK's ECMA-419 MQTT example (examples/io/tcp/mqttclient) over the cellular
 * modem: the client comes from `device.network.mqtt` (see config.js), so the same code runs over
 * Wi-Fi with the SDK's own config. On CONNACK it subscribes and unsubscribes, publishes a QoS 2
 * message in two fragments, sends a PINGREQ, and streams a QoS 1 message from onWritable. The
 * modem carries at most 1024 bytes per message, so that message is 1000 bytes (the SDK's sends
 * 16 KB).
 */
import "mqttclient/config";
import config from "mc/config";

const MQTTClient = device.network.mqtt.io;
const STREAMED = 1000;

new MQTTClient({
	...device.network.mqtt,
	host: config.mqttHost,
	port: Number(config.mqttPort),
	id: "cellmqtt-mqttclient",
	keepalive: 60_000,
	will: {
		topic: "cellmqtt/example/will",
		message: ArrayBuffer.fromString("gone @ " + Date()),
		QoS: 0,
		retain: 0
	},
	onControl(msg) {
		switch (msg.operation) {
			case MQTTClient.CONNACK:
				trace("CONNACK\n");
				this.write(null, {
					operation: MQTTClient.SUBSCRIBE,
					items: [
						{topic: "cellmqtt/example/+", QoS: 2},
						{topic: "cellmqtt/other"}
					]
				});
				this.write(null, {
					operation: MQTTClient.UNSUBSCRIBE,
					items: [
						{topic: "frogs"},
						{topic: "cellmqtt/other"}
					]
				});
				this.write(ArrayBuffer.fromString("SM"), {topic: "cellmqtt/example/small", byteLength: 6, QoS: 2});
				this.write(ArrayBuffer.fromString("ALL\n"));
				this.write(null, {operation: MQTTClient.PINGREQ});
				this.remain = STREAMED;
				this.counter = 0;
				this.write(ArrayBuffer.fromString("XL:"), {topic: "cellmqtt/example/xl", byteLength: 3 + STREAMED, QoS: 1, id: 1234});
				break;
			case MQTTClient.PUBACK:
				trace(`PUBACK - ${msg.id}\n`);
				break;
			case MQTTClient.PUBREC:
				trace(`PUBREC - ${msg.id}\n`);
				break;
			case MQTTClient.PUBCOMP:
				trace(`PUBCOMP - ${msg.id}\n`);
				break;
			case MQTTClient.SUBACK:
				trace(`SUBACK - ${msg.id}\n`);
				break;
			case MQTTClient.UNSUBACK:
				trace(`UNSUBACK - ${msg.id}\n`);
				break;
			case MQTTClient.PINGRESP:
				trace("Ping response\n");
				break;
		}
	},
	onReadable(count, options) {
		trace(`${options.topic}: ${count} bytes: ${String.fromArrayBuffer(this.read(count)).slice(0, 40)}\n`);
	},
	onWritable(count) {
		if (!this.remain)
			return;
		const repeat = (count < this.remain) ? count : this.remain;
		this.remain -= repeat;
		this.counter += 1;
		this.write(ArrayBuffer.fromString(String.fromCharCode(64 + this.counter).repeat(repeat)));
	},
	onError(error) {
		trace(`ERROR ${error?.message ?? ""}\n`);
	}
});
