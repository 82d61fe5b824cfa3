/**
 * Command-line flags from one table: the same entries parse the arguments and print the help, so
 * the two cannot drift. Every typed value is checked here, before anything starts; a bad one is a
 * UsageError whose one-line message names the flag and what it takes. Nothing falls back to a
 * default.
 */
import { ValidationError } from "cellmqtt/modem/validate";
import { escapeText } from "./terminal-text.ts";

/** A refused command line: the message is the whole report. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface Flag<T> {
  /** Placeholder of the value in the help ("N", "URL"); absent for a switch. */
  value?: string;
  help: string;
  /** The default as the help shows it. */
  default?: string;
  /** Checks and converts the typed text; throws naming `flag`. Absent for a switch. */
  parse?: (text: string, flag: string) => T;
}

export type FlagTable = Record<string, Flag<unknown>>;
export type FlagValues<T extends FlagTable> = { [K in keyof T]?: T[K] extends Flag<infer V> ? V : never };

export function flag<T>(value: string, help: string, parse: (text: string, flag: string) => T, shownDefault?: string): Flag<T> {
  return { value, help, parse, ...(shownDefault === undefined ? {} : { default: shownDefault }) };
}

export function toggle(help: string): Flag<boolean> {
  return { help };
}

/**
 * Parses `argv` (no program name) against `table`: `--name value`, `--name=value`, switches as
 * `--name`. Returns the positionals and the checked values of the flags given.
 */
export function parseFlags<T extends FlagTable>(argv: readonly string[], table: T, program: string): { positionals: string[]; values: FlagValues<T> } {
  const positionals: string[] = [];
  const values: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? arg.slice(2, eq < 0 ? undefined : eq) : arg === "-h" ? "help" : "";
    const spec = Object.hasOwn(table, name) ? table[name]! : undefined;
    if (!spec) throw new UsageError(`unknown flag ${printable(eq < 0 ? arg : arg.slice(0, eq))} (${program} --help lists the flags)`);
    if (Object.hasOwn(values, name)) throw new UsageError(`--${name} given twice`);
    if (!spec.parse) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    let text: string;
    if (eq >= 0) text = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) text = argv[++i]!;
    else throw new UsageError(`--${name} needs a value (--${name} ${spec.value})`);
    values[name] = parseValue(spec, text, `--${name}`);
  }
  return { positionals, values: values as FlagValues<T> };
}

/** Runs a flag's parser on text from elsewhere (an environment variable) under the name `source`. */
export function parseValue<T>(spec: Flag<T>, text: string, source: string): T {
  try {
    return spec.parse!(text, source);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof ValidationError) throw new UsageError(escapeText(e.message));
    throw new UsageError(`${source}: ${escapeText(e instanceof Error ? e.message : String(e))}`);
  }
}

/** The help lines of a table, one per flag, aligned. */
export function flagHelp(table: FlagTable): string[] {
  const heads = Object.entries(table).map(([name, f]) => `  --${name}${f.value ? ` ${f.value}` : ""}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return Object.values(table).map((f, i) => `${heads[i]!.padEnd(width)}${f.help}${f.default === undefined ? "" : ` (default ${f.default})`}`);
}

/** Text from the user, safe to echo between quotes in one line. */
export function printable(s: string): string {
  return escapeText(s).replace(/"/g, '\\"');
}

// ---- value parsers ----

export function integer(min: number, max: number, unit = ""): (text: string, flag: string) => number {
  return (text, flag) => {
    const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag}: must be an integer from ${min} to ${max}${unit}, got "${printable(text)}"`);
    }
    return n;
  };
}

/** A decimal number in (0, max]. */
export function positive(max: number, unit = ""): (text: string, flag: string) => number {
  return (text, flag) => {
    const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
    if (!(n > 0 && n <= max)) throw new UsageError(`${flag}: must be a number above 0 and at most ${max}${unit}, got "${printable(text)}"`);
    return n;
  };
}

export function oneOf<const C extends string>(...choices: C[]): (text: string, flag: string) => C {
  return (text, flag) => {
    if (!(choices as string[]).includes(text)) throw new UsageError(`${flag}: must be one of ${choices.join(", ")}, got "${printable(text)}"`);
    return text as C;
  };
}

/** An MQTT broker URL the `mqtt` package connects to. */
export function brokerUrl(text: string, flag: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const port = url?.port === "" ? 1 : Number(url?.port);
  if (!url || !["mqtt:", "mqtts:", "tcp:", "ws:", "wss:"].includes(url.protocol) || url.hostname === "" || !(port >= 1 && port <= 65535)) {
    throw new UsageError(`${flag}: must be a broker URL such as mqtt://host:1883 (mqtt, mqtts, tcp, ws or wss), got "${printable(text)}"`);
  }
  return text;
}

/**
 * Text checked by one of the library's validators (`check(field, value)`), so the CLI refuses
 * exactly what the client would; `rule` says what is allowed.
 */
export function checked(check: (field: string, value: string) => string, rule: string): (text: string, flag: string) => string {
  return (text, flag) => {
    try {
      return check(flag, text);
    } catch (e) {
      if (e instanceof ValidationError) throw new UsageError(`${escapeText(e.message)} (allowed: ${rule})`);
      throw e;
    }
  };
}
