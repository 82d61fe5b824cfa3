/**
 * Turns a broker link's events into the modem's unsolicited reports for one client id:
 * connect outcome, incoming messages (+MQTTMSG or +MQTTMSGI), and +MQTTBREAK / +MQTTCLOSE.
 */
import type { ConnectOutcome, EndCause, LinkListener } from "./broker-link.ts";
import { concat } from "./bytes.ts";
import type { ModemCore } from "./core.ts";
import type { ClientSlot, QueuedMessage } from "./state.ts";

export function deliver(m: ModemCore, slot: ClientSlot, msg: QueuedMessage): void {
  const s = m.sep();
  if (m.state.msgMode === 0) {
    m.urc(concat([`+MQTTMSG: ${slot.id},${s}${msg.qos},${s}"`, msg.topic, `",${s}"`, msg.payload, `"`]));
    return;
  }
  // A full queue drops the newest message, as a modem with a fixed buffer would.
  if (slot.queue.length >= m.options.readQueueLimit) return;
  slot.queue.push(msg);
  m.urc(`+MQTTMSGI: ${slot.id},${s}${msg.qos},${s}${msg.topic.length},${s}${msg.payload.length}`);
}

/** `onOutcome` lets MQTTOPEN decide how the result is spelled (see OpenResultStyle). */
export function slotListener(
  m: ModemCore,
  slot: ClientSlot,
  onOutcome: (result: ConnectOutcome) => void,
): LinkListener {
  return {
    outcome(result) {
      slot.status = result.kind === "accepted" ? "open" : "idle";
      if (result.kind !== "accepted") slot.link = undefined;
      onOutcome(result);
    },
    message(topic, payload, qos) {
      m.later(() => deliver(m, slot, { topic, payload, qos }));
    },
    ended(cause: EndCause) {
      slot.status = "idle";
      slot.link = undefined;
      slot.subscriptions = [];
      m.later(() => {
        if (cause !== 0) m.urc(`+MQTTBREAK: ${slot.id},${cause}`);
        if (cause === 0 || m.options.closeAfterBreak) m.urc(`+MQTTCLOSE: ${slot.id},1`);
      });
    },
  };
}

/** Drops events from a link that is no longer the slot's current one (closed, replaced, rebooted). */
export function guarded(listener: LinkListener, isCurrent: () => boolean): LinkListener {
  return {
    outcome: (r) => isCurrent() && listener.outcome(r),
    message: (t, p, q) => isCurrent() && listener.message(t, p, q),
    ended: (c) => isCurrent() && listener.ended(c),
  };
}
