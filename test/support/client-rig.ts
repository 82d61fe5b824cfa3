/**
 * A client test's world on Node: a CellularModem on a StreamUart to the in-process modem
 * emulator, an embedded broker behind it, and a plain `mqtt` client as the other party, which
 * records what it receives on `peerTopics`. `clients` are closed by `stopClientRig`.
 */
import mqtt, { type MqttClient as PeerClient } from "mqtt";
import { CellularModem } from "cellmqtt/modem/modem";
import { VirtualModem, createModemStream } from "../../hosts/emulator/index.ts";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../hosts/node/broker.ts";
import { StreamUart } from "../../hosts/node/stream-uart.ts";

export interface ClientRig<C extends { close(): void }> {
  broker: EmbeddedBroker;
  vm: VirtualModem;
  uart: StreamUart;
  modem: CellularModem;
  peer: PeerClient;
  received: { topic: string; payload: Buffer; retain: boolean }[];
  logs: string[];
  clients: C[];
}

export async function startClientRig<C extends { close(): void }>(peerId: string, peerTopics: string[], broker_?: EmbeddedBroker): Promise<ClientRig<C>> {
  const broker = broker_ ?? (await startEmbeddedBroker());
  const vm = new VirtualModem({ broker: broker.url, latencyMs: [1, 5] });
  const uart = new StreamUart(createModemStream(vm));
  const logs: string[] = [];
  const modem = new CellularModem(uart.engine, uart.clock, { network: { pollMs: 200 }, log: (l) => logs.push(l) });
  const peer = mqtt.connect(broker.url, { clientId: peerId });
  const received: ClientRig<C>["received"] = [];
  peer.on("message", (topic, payload, packet) => received.push({ topic, payload, retain: packet.retain }));
  await new Promise<void>((resolve) => peer.on("connect", () => peer.subscribe(peerTopics, { qos: 1 }, () => resolve())));
  vm.start();
  return { broker, vm, uart, modem, peer, received, logs, clients: [] };
}

export async function stopClientRig<C extends { close(): void }>(r: ClientRig<C>): Promise<void> {
  for (const c of r.clients) c.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise<void>((resolve) => r.peer.end(true, {}, () => resolve()));
  r.uart.close();
  await r.vm.close();
  await r.broker.close();
}
