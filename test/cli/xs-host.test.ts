import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// A PATH holding node alone: no make, no C compiler, no npm.
const bare = mkdtempSync(join(tmpdir(), "cellmqtt-bare-path-"));
symlinkSync(process.execPath, join(bare, "node"));
afterAll(() => rmSync(bare, { recursive: true, force: true }));

describe("the XS test host's build", () => {
  it("names what is missing in one line when it cannot build", () => {
    const r = spawnSync(process.execPath, ["node_modules/tsx/dist/cli.mjs", "scripts/xs/host.ts", "build"], {
      cwd: ROOT,
      env: { ...process.env, PATH: bare },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("the XS test host cannot be built: make is not on PATH (apt-get install make)\n");
  });
});
