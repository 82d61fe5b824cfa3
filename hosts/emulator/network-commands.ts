/** Basic and network bring-up commands: AT, ATE, +CPIN, +CEREG, +CGREG, +COPS, +CSQ, +CGSN, +MIPCALL. */
import { argCount, intArg, strArg } from "./args.ts";
import type { CommandSpec, ModemCore } from "./core.ts";
import { AtError } from "./errors.ts";

function registration(kind: "ceregN" | "cgregN", name: string): CommandSpec {
  return {
    query: (m) => m.ok(`${name}: ${m.state[kind]},${m.state.registered ? 1 : 0}`),
    set: (m, c) => {
      argCount(c.args, 1, 1);
      m.state[kind] = intArg(c.args, 0, 0, 2);
      m.ok();
    },
    test: (m) => m.ok(`${name}: (0-2)`),
  };
}

function dial(m: ModemCore): void {
  if (m.state.dataCall) throw new AtError("state");
  m.ok();
  m.later(() => {
    if (!m.state.registered) {
      m.urc("+MIPCALL: 0");
      return;
    }
    m.state.dataCall = true;
    m.urc(`+MIPCALL: ${m.options.ip}`);
  });
}

function hangUp(m: ModemCore): void {
  const wasUp = m.state.dataCall;
  m.state.dataCall = false;
  m.ok();
  if (!wasUp) return;
  m.dropLinks(2);
  m.later(() => m.urc("+MIPCALL: 0"));
}

export const networkCommands: Record<string, CommandSpec> = {
  "": { exec: (m) => m.ok() },
  E: {
    exec: (m, c) => {
      const v = c.basicValue ?? 0;
      if (v > 1) throw new AtError("syntax");
      m.state.echo = v === 1;
      m.ok();
    },
  },
  "+CPIN": { query: (m) => m.ok("+CPIN: READY") },
  "+CEREG": registration("ceregN", "+CEREG"),
  "+CGREG": registration("cgregN", "+CGREG"),
  "+COPS": {
    query: (m) => m.ok(m.state.registered ? `+COPS: 0,0,"${m.options.operator}",7` : "+COPS: 0"),
  },
  "+CSQ": {
    exec: (m) => m.ok(m.state.registered ? "+CSQ: 20,99" : "+CSQ: 99,99"),
    test: (m) => m.ok("+CSQ: (0-31,99),(0-7,99)"),
  },
  "+CGSN": { exec: (m) => m.ok(m.options.imei) },
  "+MIPCALL": {
    query: (m) => m.ok(m.state.dataCall ? `+MIPCALL: 1,${m.options.ip}` : "+MIPCALL: 0"),
    test: (m) => m.ok("+MIPCALL: (0,1)"),
    set: (m, c) => {
      argCount(c.args, 1, 4);
      const on = intArg(c.args, 0, 0, 1);
      // Optional APN, user and password: accepted and ignored (there is no real radio).
      for (let i = 1; i < c.args.length; i++) strArg(c.args, i, 0, 100);
      if (on === 1) dial(m);
      else if (c.args.length === 1) hangUp(m);
      else throw new AtError("syntax");
    },
  },
};
