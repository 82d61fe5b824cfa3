/** Public surface of the modem emulator. */
export { VirtualModem, type VirtualModemEvents } from "./modem.ts";
export type { VirtualModemOptions, OpenResultStyle } from "./options.ts";
export { type Fault, type FaultName, FAULT_NAMES, parseFault } from "./faults.ts";
export type { CommandLog, LoggedLine, LoggedPayload, LineKind } from "./command-log.ts";
export { attachStream, createModemStream, type ModemStream } from "./adapters/stream.ts";
export { serveTcp, serveControl, runControlLine, type TcpServer, type TcpOptions } from "./adapters/tcp.ts";
export { spawnPty, type PtyBridge } from "./adapters/pty.ts";
