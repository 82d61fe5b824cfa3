/** Settings and reading: +MQTTUSER, +MQTTWILL, +MQTTCONF, +MQTTREAD. */
import { argCount, clientIdArg, intArg, strArg, topicArg } from "./args.ts";
import { concat } from "./bytes.ts";
import type { CommandSpec } from "./core.ts";
import { MAX_PAYLOAD, quotedPayload } from "./payload-arg.ts";
import { slotOf } from "./state.ts";

const IDS = "(1,2)";

export const mqttConfigCommands: Record<string, CommandSpec> = {
  "+MQTTUSER": {
    set: (m, c) => {
      argCount(c.args, 3, 4);
      const slot = slotOf(m.state, clientIdArg(c.args));
      const username = strArg(c.args, 1, 0, 128);
      const password = strArg(c.args, 2, 0, 128);
      const clientId = c.args.length === 4 ? strArg(c.args, 3, 0, 23) : undefined;
      slot.user = { username, password, clientId: clientId?.length ? clientId : undefined };
      m.ok();
    },
    query: (m) => {
      const lines = m.state.slots.flatMap((s) =>
        s.user
          ? [concat([`+MQTTUSER: ${s.id},"`, s.user.username, `","`, s.user.password, `"`, ...(s.user.clientId ? [`,"`, s.user.clientId, `"`] : [])])]
          : [],
      );
      m.ok(...lines);
    },
    test: (m) => m.ok(`+MQTTUSER: ${IDS},128,128,23`),
  },
  "+MQTTWILL": {
    set: (m, c) => {
      argCount(c.args, 5, 5);
      const slot = slotOf(m.state, clientIdArg(c.args));
      const topic = topicArg(c.args, 1);
      const qos = intArg(c.args, 2, 0, 2) as 0 | 1 | 2;
      const retain = intArg(c.args, 3, 0, 1) === 1;
      // Quoted only: the manual has no length form for the will.
      slot.will = { topic, qos, retain, payload: quotedPayload(c.args[4]) };
      m.ok();
    },
    query: (m) => {
      const lines = m.state.slots.flatMap((s) =>
        s.will ? [concat([`+MQTTWILL: ${s.id},"`, s.will.topic, `",${s.will.qos},${s.will.retain ? 1 : 0},"`, s.will.payload, `"`])] : [],
      );
      m.ok(...lines);
    },
    test: (m) => m.ok(`+MQTTWILL: ${IDS},255,(0-2),(0,1),${MAX_PAYLOAD}`),
  },
  "+MQTTCONF": {
    set: (m, c) => {
      argCount(c.args, 1, 1);
      m.state.msgMode = intArg(c.args, 0, 0, 1) as 0 | 1;
      m.ok();
    },
    query: (m) => m.ok(`+MQTTCONF: ${m.state.msgMode}`),
    test: (m) => m.ok("+MQTTCONF: (0,1)"),
  },
  "+MQTTREAD": {
    set: (m, c) => {
      argCount(c.args, 1, 1);
      const slot = slotOf(m.state, clientIdArg(c.args));
      const msg = slot.queue.shift();
      if (!msg) {
        m.ok(`+MQTTREAD: ${slot.id},0,0,0`);
        return;
      }
      const header = `+MQTTREAD: ${slot.id},${msg.qos},${msg.topic.length},${msg.payload.length}`;
      // The manual prints the record under its header; some firmware puts it on the header's line.
      const between = m.options.readLayout === "two-line" ? "\r\n" : ",";
      m.ok(concat([`${header}${between}"`, msg.topic, `","`, msg.payload, `"`]));
    },
    test: (m) => m.ok(`+MQTTREAD: ${IDS}`),
  },
};
