/** What each fault does to the modem. */
import { deliver } from "./mqtt-events.ts";
import type { Fault } from "./faults.ts";
import type { VirtualModem } from "./modem.ts";

const CR = 13;
const LF = 10;

function garbage(modem: VirtualModem, count: number): Buffer {
  const bytes = Buffer.alloc(count);
  for (let i = 0; i < count; i++) {
    let b = modem.random.int(0, 255);
    // Line ends are left out so the burst stays one (garbled) line between real ones.
    while (b === CR || b === LF) b = modem.random.int(0, 255);
    bytes[i] = b;
  }
  return bytes;
}

function radioDown(modem: VirtualModem, cause: 2 | 3): void {
  modem.setRegistered(false);
  modem.state.dataCall = false;
  modem.dropLinks(cause);
}

/** A topic that matches `filter`: each wildcard level becomes a plain one. */
function topicFor(filter: Buffer): Buffer {
  const levels = filter.toString("latin1").split("/");
  return Buffer.from(levels.map((l) => (l === "+" || l === "#" ? "big" : l)).join("/"), "latin1");
}

/** Printable bytes, so mode 0 framing is not what breaks: only the size is unusual. */
function bigPayload(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 0x41 + (i % 26);
  return b;
}

function oversized(modem: VirtualModem, size: number, id: 1 | 2 | undefined): void {
  const slot = modem.state.slots.find((s) => s.status === "open" && s.subscriptions.length > 0 && (id === undefined || s.id === id));
  const filter = slot?.subscriptions[0];
  if (!slot || !filter) return;
  const msg = { topic: topicFor(filter), payload: bigPayload(size), qos: 0 as const };
  modem.later(() => deliver(modem, slot, msg));
}

export function applyFault(modem: VirtualModem, fault: Fault): void {
  switch (fault.name) {
    case "broker-drop":
      modem.dropLinks(1, fault.clientId);
      return;
    case "broker-drop-silent":
      modem.dropLinksSilently(fault.clientId);
      return;
    case "radio-lost":
      radioDown(modem, 2);
      return;
    case "deregistered":
      radioDown(modem, 3);
      return;
    case "restore":
      modem.setRegistered(true);
      return;
    case "mipcall-lost":
      if (modem.state.dataCall) {
        modem.state.dataCall = false;
        modem.later(() => modem.urc("+MIPCALL: 0"));
      }
      modem.dropLinks(2);
      return;
    case "mipcall-lost-silent":
      modem.state.dataCall = false;
      modem.dropLinksSilently();
      return;
    case "reboot":
      modem.boot(modem.options.rebootDelayMs);
      return;
    case "reboot-silent":
      modem.boot(modem.options.rebootDelayMs, false);
      return;
    case "silence":
      modem.silence(fault.seconds);
      return;
    case "stall":
      modem.stall(fault.seconds);
      return;
    case "lose-urc":
      modem.urcFaults.arm("lose", fault.urc, fault.count);
      return;
    case "dup-urc":
      modem.urcFaults.arm("dup", fault.urc, fault.count);
      return;
    case "late-prompt":
      modem.delayNextPrompt(fault.ms);
      return;
    case "mqtt-needs-data-call":
      modem.mqttNeedsDataCall = fault.on;
      return;
    case "oversized":
      oversized(modem, fault.bytes ?? 6000, fault.clientId);
      return;
    case "garbage":
      modem.line(garbage(modem, fault.bytes ?? 32));
      return;
    case "split-writes":
      modem.pacer.setSplit(fault.on);
      return;
    case "slow-line":
      modem.pacer.setBaud(fault.baud > 0 ? fault.baud : modem.options.baud);
      return;
  }
}
