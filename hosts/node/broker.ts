import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBroker {
  aedes: Aedes;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * An aedes broker on a free loopback port: the default when no broker is given. `setup` may
 * install hooks (an `authenticate` that refuses, say) before the first client connects.
 */
export async function startEmbeddedBroker(setup?: (aedes: Aedes) => void): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  setup?.(aedes);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    aedes,
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
