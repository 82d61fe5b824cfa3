import { world } from "./world.ts";

const config = new Proxy({} as Record<string, unknown>, { get: (_t, key: string) => world.config[key] });
export default config;
