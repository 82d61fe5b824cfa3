/** What each fault does to the modem. */
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

export function applyFault(modem: VirtualModem, fault: Fault): void {
  switch (fault.name) {
    case "broker-drop":
      modem.dropLinks(1, fault.clientId);
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
        modem.later(() => modem.line("+MIPCALL: 0"));
      }
      modem.dropLinks(2);
      return;
    case "reboot":
      modem.boot(modem.options.rebootDelayMs);
      return;
    case "silence":
      modem.silence(fault.seconds);
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
