/**
 * The clients call the app's code (listeners, callbacks) from inside modem events: a line being
 * parsed in the serial driver's callback, or a timer. A throw from there must not unwind through
 * the session and the AT engine (leaving a read half-parsed, a session half-updated) or reach the
 * driver (on a device: `XS abort: unhandled exception`). So every such call is caught, and the
 * throw is reported here when the client has no log of its own to report it to.
 */

/** One line about a throw: `onControl threw: TypeError: ...`. */
export function threwText(where: string, error: unknown): string {
  return `${where} threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/** To Moddable's `trace` (xsbug, the simulator's console), or else a console's error stream. */
export function traceLine(line: string): void {
  const g = globalThis as { trace?: (text: string) => void; console?: { error(text: string): void } };
  if (typeof g.trace === "function") g.trace(`${line}\n`);
  else if (g.console !== undefined) g.console.error(line);
}
