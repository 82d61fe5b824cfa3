/**
 * The AT engine's Moddable manifest lists its modules one by one, so that `cellmqtt/at/kernels`
 * is the C of native/kernels.c on the device and never the TypeScript that Node runs: a module
 * added to modules/at but left out of the manifest would be missing on the device only.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const AT = join(import.meta.dirname, "../../modules/at");
const manifest = JSON.parse(readFileSync(join(AT, "manifest.json"), "utf8")) as { modules: Record<string, string> };

describe("modules/at/manifest.json", () => {
  it("lists every TypeScript module of modules/at under its own name", () => {
    const sources = readdirSync(AT)
      .filter((f) => f.endsWith(".ts") && f !== "kernels.ts")
      .map((f) => f.slice(0, -3));
    expect(sources.length).toBeGreaterThan(10);
    for (const name of sources) expect(manifest.modules[`cellmqtt/at/${name}`], name).toBe(`./${name}`);
  });

  it("binds the kernels to their C, whose binding declares every function the TypeScript exports", async () => {
    expect(manifest.modules["cellmqtt/at/kernels"]).toBe("./native/kernels");
    const binding = readFileSync(join(AT, "native/kernels.js"), "utf8");
    const c = readFileSync(join(AT, "native/kernels.c"), "utf8");
    const exported = Object.keys(await import("../../modules/at/kernels.ts"));
    expect(exported.sort()).toEqual(["digitFields", "frameNext", "joinInput", "messageFields", "tokenKey"]);
    for (const name of exported) {
      const m = new RegExp(`export function ${name}\\(([^)]*)\\) @ "(\\w+)";`).exec(binding);
      expect(m, `${name} in native/kernels.js`).not.toBeNull();
      expect(c).toContain(`void ${m![2]}(xsMachine *the)`);
    }
  });

  it("has no wildcard that would also take kernels.ts", () => {
    expect(Object.keys(manifest.modules).filter((k) => k.includes("*"))).toEqual([]);
  });
});
