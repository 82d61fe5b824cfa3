/**
 * The last argument of MQTTPUB and MQTTWILL: a quoted payload (printable ASCII, 0-1024 bytes) or a
 * data size (1-1024) that switches to the data phase: `>` with no line end, then exactly that many
 * raw bytes of any value.
 */
import type { Arg } from "./at-parse.ts";
import { isPrintable } from "./bytes.ts";
import type { ModemCore } from "./core.ts";
import { AtError } from "./errors.ts";

export const MAX_PAYLOAD = 1024;

export type PayloadSource = { kind: "quoted"; bytes: Buffer } | { kind: "length"; size: number };

/** Validates the argument without consuming anything, so state checks can run before the prompt. */
export function payloadSource(arg: Arg | undefined): PayloadSource {
  if (arg?.kind === "str") {
    if (arg.bytes.length > MAX_PAYLOAD || !isPrintable(arg.bytes)) throw new AtError("syntax");
    return { kind: "quoted", bytes: arg.bytes };
  }
  if (arg?.kind === "int" && arg.value >= 1 && arg.value <= MAX_PAYLOAD) return { kind: "length", size: arg.value };
  throw new AtError("syntax");
}

/** Returns the payload, reading the data phase when needed; undefined if the data phase was abandoned. */
export async function readPayload(
  m: ModemCore,
  source: PayloadSource,
  clientId: number,
  command: "MQTTPUB" | "MQTTWILL",
): Promise<Buffer | undefined> {
  if (source.kind === "quoted") return source.bytes;
  const data = await m.readData(source.size);
  if (!data) return undefined;
  m.log.addPayload(clientId, command, data.bytes, data.earlyBytes);
  return data.bytes;
}
