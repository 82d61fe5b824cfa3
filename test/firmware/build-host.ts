/**
 * Builds a Moddable host binding for Node with esbuild: the SDK's modules replaced by the
 * stand-ins in ./moddable/ (named per specifier), `cellmqtt/*` resolved to modules/. Returns the
 * bundle's exports and a function that deletes the bundle.
 */
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const stand = fileURLToPath(new URL("./moddable/", import.meta.url));

/** `exports`: export lines relative to the repository root; `standIns`: specifier -> file in ./moddable/. */
export async function buildHost<T>(exports: string[], standIns: Record<string, string>): Promise<{ host: T; remove(): void }> {
  const names = Object.keys(standIns).map((s) => s.replace(/[/:]/g, "\\$&"));
  const out = await build({
    stdin: {
      contents: [...exports, `export { world } from ${JSON.stringify(join(stand, "world.ts"))};`].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "moddable-stand-ins",
        setup(b) {
          b.onResolve({ filter: new RegExp(`^(${names.join("|")})$`) }, (a) => ({ path: join(stand, standIns[a.path]!) }));
          b.onResolve({ filter: /^\.\/moddable\// }, (a) => ({ path: join(stand, a.path.slice(11)) }));
          b.onResolve({ filter: /^cellmqtt\// }, (a) => ({ path: join(root, "modules", a.path.slice(9) + ".ts") }));
        },
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), "cellmqtt-host-"));
  const file = join(dir, "host.mjs");
  writeFileSync(file, out.outputFiles[0]!.text);
  const host = (await import(pathToFileURL(file).href)) as T;
  return { host, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
