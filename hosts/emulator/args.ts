/**
 * Argument checks shared by the command handlers. Each throws AtError("syntax") so a handler reads
 * as a list of the manual's ranges.
 */
import type { Arg } from "./at-parse.ts";
import { isPrintable } from "./bytes.ts";
import { AtError } from "./errors.ts";

export function argCount(args: readonly Arg[], min: number, max: number): void {
  if (args.length < min || args.length > max) throw new AtError("syntax");
}

export function intArg(args: readonly Arg[], i: number, min: number, max: number): number {
  const a = args[i];
  if (!a || a.kind !== "int" || a.value < min || a.value > max) throw new AtError("syntax");
  return a.value;
}

/** Valid MQTT client ids are 1 and 2. */
export function clientIdArg(args: readonly Arg[], i = 0): 1 | 2 {
  return intArg(args, i, 1, 2) as 1 | 2;
}

export function strArg(args: readonly Arg[], i: number, minLen: number, maxLen: number, printable = false): Buffer {
  const a = args[i];
  if (!a || a.kind !== "str") throw new AtError("syntax");
  if (a.bytes.length < minLen || a.bytes.length > maxLen) throw new AtError("syntax");
  if (printable && !isPrintable(a.bytes)) throw new AtError("syntax");
  return a.bytes;
}

/** Topics: printable ASCII, 1-255 bytes. */
export function topicArg(args: readonly Arg[], i: number): Buffer {
  return strArg(args, i, 1, 255, true);
}
