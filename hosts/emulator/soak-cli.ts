/**
 * npm run soak -- --hours N [--seed S] [--publish-data raw|hex] [--trace]
 * Runs the soak (see soak.ts) for N simulated hours and prints its figures; exits 1 when one of
 * its zeros (lost, delivered wrong, messages the application never sent, callbacks that never
 * fired or fired twice, commands consumed as payload) does not hold, 2 on a bad flag.
 */
import { parseArgs } from "node:util";
import type { PublishData } from "./options.ts";
import { formatReport, runSoak, soakFailures } from "./soak.ts";

const HOURS_MAX = 168;

export interface SoakFlags {
  hours: number;
  seed: number;
  publishData: PublishData;
  trace: boolean;
}

/** The flags, or the one line that says which flag is wrong and what it takes. */
export function parseSoakFlags(argv: readonly string[]): SoakFlags | { error: string } {
  let values: { hours?: string; seed?: string; "publish-data"?: string; trace?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { hours: { type: "string" }, seed: { type: "string" }, "publish-data": { type: "string" }, trace: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return { error: `${(e as Error).message.split("\n")[0]} (flags: --hours N, --seed N, --publish-data raw|hex, --trace)` };
  }
  const hoursText = values.hours ?? "24";
  const hours = Number(hoursText);
  if (!/^\d+(\.\d+)?$/.test(hoursText) || !(hours > 0 && hours <= HOURS_MAX)) {
    return { error: `--hours must be a number of simulated hours above 0 and at most ${HOURS_MAX}, got "${hoursText}"` };
  }
  const seedText = values.seed ?? "1";
  const seed = Number(seedText);
  if (!/^\d+$/.test(seedText) || seed > 0xffff_ffff) return { error: `--seed must be an integer from 0 to 4294967295, got "${seedText}"` };
  const publishData = values["publish-data"] ?? "raw";
  if (publishData !== "raw" && publishData !== "hex") return { error: `--publish-data must be raw or hex, got "${publishData}"` };
  return { hours, seed, publishData, trace: values.trace ?? false };
}

async function main(): Promise<void> {
  const flags = parseSoakFlags(process.argv.slice(2));
  if ("error" in flags) {
    console.error(`soak: ${flags.error}`);
    process.exit(2);
  }
  const { hours, seed, publishData, trace } = flags;
  const report = await runSoak({ hours, seed, publishData, ...(trace ? { trace: (line: string) => console.log(line) } : {}) });
  console.log(formatReport(report, hours, seed, publishData));
  const failures = soakFailures(report);
  if (failures.length > 0) {
    console.log(`FAILED: ${failures.join(", ")}`);
    process.exit(1);
  }
  console.log("held: 0 lost, 0 delivered wrong, 0 messages the application never sent, 0 callbacks that never fired or fired twice, 0 commands consumed as payload");
  process.exit(0);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
