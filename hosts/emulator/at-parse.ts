/**
 * Parses one command line into name, form and arguments. Strict on purpose: the emulator exists
 * to catch a driver that formats commands sloppily, so anything a real modem might misread
 * (unquoted strings, a stray quote inside a quoted string, signs on integers) is a syntax error.
 * There are no escapes inside quoted strings: the manual defines none, so a `"` always closes one.
 */

export type Form = "exec" | "query" | "test" | "set";

export type Arg =
  | { kind: "int"; value: number }
  | { kind: "str"; bytes: Buffer; text: string }
  | { kind: "empty" };

export interface ParsedCommand {
  /** Upper-case name: "" for bare `AT`, "E" for `ATE1`, "+MQTTPUB", "#FAULT". */
  name: string;
  form: Form;
  args: Arg[];
  /** Basic-command digit suffix (`ATE1` -> 1), if any. */
  basicValue?: number;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** Returns null when the line is not an AT command or its arguments are malformed. */
export function parseCommand(line: Buffer): ParsedCommand | null {
  const text = line.toString("latin1");
  if (!/^at/i.test(text)) return null;
  const rest = text.slice(2);
  if (rest === "") return { name: "", form: "exec", args: [] };
  const basic = /^([A-Za-z&])(\d*)$/.exec(rest);
  if (basic) {
    const digits = basic[2]!;
    const cmd: ParsedCommand = { name: basic[1]!.toUpperCase(), form: "exec", args: [] };
    if (digits !== "") cmd.basicValue = Number(digits);
    return cmd;
  }
  const ext = /^([+#][A-Za-z][A-Za-z0-9]*)(.*)$/s.exec(rest);
  if (!ext) return null;
  const name = ext[1]!.toUpperCase();
  const tail = ext[2]!;
  if (tail === "") return { name, form: "exec", args: [] };
  if (tail === "?") return { name, form: "query", args: [] };
  if (tail === "=?") return { name, form: "test", args: [] };
  if (!tail.startsWith("=")) return null;
  const argBytes = line.subarray(2 + ext[1]!.length + 1);
  const args = parseArgs(argBytes);
  return args ? { name, form: "set", args } : null;
}

/** Comma-separated integers and quoted strings; spaces allowed around separators only. */
export function parseArgs(bytes: Buffer): Arg[] | null {
  const args: Arg[] = [];
  let i = 0;
  const skipSpaces = (): void => {
    while (i < bytes.length && bytes[i] === SPACE) i++;
  };
  for (;;) {
    skipSpaces();
    if (i < bytes.length && bytes[i] === QUOTE) {
      const close = bytes.indexOf(QUOTE, i + 1);
      if (close < 0) return null;
      const content = Buffer.from(bytes.subarray(i + 1, close));
      args.push({ kind: "str", bytes: content, text: content.toString("latin1") });
      i = close + 1;
    } else {
      let j = i;
      while (j < bytes.length && bytes[j]! >= 0x30 && bytes[j]! <= 0x39) j++;
      if (j === i) args.push({ kind: "empty" });
      else args.push({ kind: "int", value: Number(bytes.subarray(i, j).toString("latin1")) });
      i = j;
    }
    skipSpaces();
    if (i === bytes.length) return args;
    if (bytes[i] !== COMMA) return null;
    i++;
  }
}
