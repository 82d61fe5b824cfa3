/**
 * Why a command failed, independent of how the failure is spelled on the wire (`ERROR` or
 * `+CME ERROR: n`, chosen by the `errors` option).
 */
export type ErrorReason =
  /** Malformed arguments, wrong count, or a value out of the manual's range. */
  | "syntax"
  /** Well-formed but not allowed now (client not connected, no data call, ...). */
  | "state"
  /** Not a command this modem knows. */
  | "unknown";

export class AtError extends Error {
  constructor(readonly reason: ErrorReason) {
    super(reason);
  }
}

/** `+CME ERROR` numbers from 3GPP TS 27.007: 50 incorrect parameters, 3 operation not allowed, 4 not supported. */
const CME_CODES: Record<ErrorReason, number> = { syntax: 50, state: 3, unknown: 4 };

export function errorLine(reason: ErrorReason, style: "plain" | "cme"): string {
  return style === "cme" ? `+CME ERROR: ${CME_CODES[reason]}` : "ERROR";
}
