import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const modules = fileURLToPath(new URL("./modules/", import.meta.url));

export default defineConfig({
  resolve: {
    alias: [{ find: /^cellmqtt\/(.*)$/, replacement: `${modules}$1` }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20000,
    hookTimeout: 60000,
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
  },
});
