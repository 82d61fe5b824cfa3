/** Connection and traffic: +MQTTOPEN, +MQTTCLOSE, +MQTTSUB, +MQTTUNSUB, +MQTTPUB. */
import { argCount, clientIdArg, intArg, strArg, topicArg } from "./args.ts";
import type { BrokerLink, ConnectOutcome, LinkConfig, LinkListener } from "./broker-link.ts";
import type { CommandSpec, ModemCore } from "./core.ts";
import { AtError } from "./errors.ts";
import { guarded, slotListener } from "./mqtt-events.ts";
import { MAX_PAYLOAD, payloadSource, readPayload } from "./payload-arg.ts";
import { type ClientSlot, slotOf } from "./state.ts";

const IDS = "(1,2)";

function openSlot(m: ModemCore, id: 1 | 2): ClientSlot {
  const slot = slotOf(m.state, id);
  if (slot.status !== "open") throw new AtError("state");
  return slot;
}

function idList(slots: readonly ClientSlot[]): string {
  return slots.length ? slots.map((s) => s.id).join(",") : "0";
}

/** Reports a connect outcome in the configured style; resolves when the command's final result is out. */
function reportOpen(m: ModemCore, id: number, result: ConnectOutcome, okAlreadySent: boolean): void {
  const style = m.options.openResult;
  if (result.kind === "refused" && style === "deferred") {
    m.line(`ERROR: ${699 + result.code}`);
    return;
  }
  if (!okAlreadySent) m.ok();
  m.later(() => {
    if (result.kind === "refused" && style === "immediate-error") m.urc(`ERROR: ${699 + result.code}`);
    else m.urc(`+MQTTOPEN: ${id},${result.kind === "accepted" ? 1 : 0}`);
  });
}

function open(m: ModemCore, c: Parameters<NonNullable<CommandSpec["set"]>>[1]): Promise<void> | void {
  const tls = m.options.tlsField;
  argCount(c.args, 5, tls === "none" ? 5 : 6);
  const slot = slotOf(m.state, clientIdArg(c.args));
  const host = strArg(c.args, 1, 1, 255).toString("latin1");
  const port = intArg(c.args, 2, 1, 65535);
  const clean = intArg(c.args, 3, 0, 1) === 1;
  const keepalive = intArg(c.args, 4, 1, 300);
  // Such firmware takes exactly its own TLS value there.
  if (tls !== "none" && c.args.length === 6) intArg(c.args, 5, tls, tls);
  if (slot.status !== "idle" || !m.state.registered || !m.state.dataCall) throw new AtError("state");
  const deferred = m.options.openResult === "deferred";
  slot.status = "connecting";
  slot.target = { host, port };
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  const listener = slotListener(m, slot, (result) => {
    reportOpen(m, slot.id, result, !deferred);
    finish();
  });
  const config = (): LinkConfig => ({
    url: m.options.broker ?? `mqtt://${host}:${port}`,
    clientId: (slot.user?.clientId ?? Buffer.from(m.options.imei, "latin1")).toString("latin1"),
    // An empty user name means "none": CONNECT then carries neither user name nor password.
    username: slot.user?.username.length ? slot.user.username : undefined,
    password: slot.user?.username.length ? slot.user.password : undefined,
    clean,
    keepalive,
    connectTimeoutMs: m.options.connectTimeoutMs,
    will: slot.will,
    ...(m.brokerStream ? { stream: m.brokerStream } : {}),
  });
  const link: BrokerLink = connectOrFail(m, slot, config, guarded(listener, () => slot.link === link));
  slot.link = link;
  if (!deferred) {
    m.ok();
    return;
  }
  return done;
}

/** A URL the mqtt package rejects outright is a failed command, not a stuck "connecting" slot. */
function connectOrFail(m: ModemCore, slot: ClientSlot, cfg: () => LinkConfig, listener: LinkListener): BrokerLink {
  try {
    return m.connect(cfg(), listener);
  } catch {
    slot.status = "idle";
    slot.target = undefined;
    throw new AtError("state");
  }
}

export const mqttConnectionCommands: Record<string, CommandSpec> = {
  "+MQTTOPEN": {
    set: open,
    query: (m) => m.ok(`+MQTTOPEN: ${idList(m.state.slots.filter((s) => s.status === "idle"))}`),
    test: (m) => m.ok(`+MQTTOPEN: ${IDS},(255),(1-65535),(0,1),(1-300)`),
  },
  "+MQTTCLOSE": {
    set: (m, c) => {
      argCount(c.args, 1, 1);
      const slot = slotOf(m.state, clientIdArg(c.args));
      const link = slot.link;
      if (!link || (slot.status !== "open" && slot.status !== "connecting")) throw new AtError("state");
      m.ok();
      if (slot.status === "connecting") {
        // Abandoning a connect: no +MQTTOPEN follows, only the close report.
        slot.status = "idle";
        slot.link = undefined;
        link.kill(0);
        m.later(() => m.urc(`+MQTTCLOSE: ${slot.id},1`));
        return;
      }
      slot.status = "closing";
      link.close();
    },
    query: (m) => m.ok(`+MQTTCLOSE: ${idList(m.state.slots.filter((s) => s.status === "open"))}`),
    test: (m) => m.ok(`+MQTTCLOSE: ${IDS}`),
  },
  "+MQTTSUB": {
    set: (m, c) => {
      argCount(c.args, 3, 3);
      const id = clientIdArg(c.args);
      const topic = topicArg(c.args, 1);
      const qos = intArg(c.args, 2, 0, 2) as 0 | 1 | 2;
      const slot = openSlot(m, id);
      m.ok();
      slot.link!.subscribe(topic, qos, (ok) => {
        if (ok) slot.subscriptions.push(topic);
        m.later(() => m.urc(`+MQTTSUB: ${id},${ok ? 1 : 0}`));
      });
    },
    test: (m) => m.ok(`+MQTTSUB: ${IDS},255,(0-2)`),
  },
  "+MQTTUNSUB": {
    set: (m, c) => {
      argCount(c.args, 2, 2);
      const id = clientIdArg(c.args);
      const topic = topicArg(c.args, 1);
      const slot = openSlot(m, id);
      m.ok();
      slot.link!.unsubscribe(topic, (ok) => {
        if (ok) slot.subscriptions = slot.subscriptions.filter((t) => !t.equals(topic));
        m.later(() => m.urc(`+MQTTUNSUB: ${id},${ok ? 1 : 0}`));
      });
    },
    test: (m) => m.ok(`+MQTTUNSUB: ${IDS},255`),
  },
  "+MQTTPUB": {
    set: async (m, c) => {
      argCount(c.args, 5, 5);
      const id = clientIdArg(c.args);
      const topic = topicArg(c.args, 1);
      const qos = intArg(c.args, 2, 0, 2) as 0 | 1 | 2;
      const retain = intArg(c.args, 3, 0, 1) === 1;
      const source = payloadSource(c.args[4]);
      openSlot(m, id);
      const payload = await readPayload(m, source, id);
      if (!payload) throw new AtError("syntax");
      // The link may have dropped during the data phase.
      const slot = openSlot(m, id);
      m.ok();
      slot.link!.publish(topic, payload, qos, retain, (ok) => m.later(() => m.urc(`+MQTTPUB: ${id},${ok ? 1 : 0}`)));
    },
    test: (m) => m.ok(`+MQTTPUB: ${IDS},255,(0-2),(0,1),${MAX_PAYLOAD}`),
  },
};
