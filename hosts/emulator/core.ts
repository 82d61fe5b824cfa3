/**
 * What command handlers may do to the modem. Handlers are plain functions over this interface so
 * each group of commands lives in its own file and the modem class stays about plumbing.
 */
import type { Duplex } from "node:stream";
import type { ParsedCommand } from "./at-parse.ts";
import type { BrokerLink, LinkListener, LinkConfig } from "./broker-link.ts";
import type { CommandLog } from "./command-log.ts";
import type { ResolvedOptions } from "./options.ts";
import type { ModemState } from "./state.ts";

export type Line = string | Uint8Array;

export interface ModemCore {
  readonly options: ResolvedOptions;
  readonly state: ModemState;
  readonly log: CommandLog;
  /** The brokerStream option: connections to an in-process broker. */
  readonly brokerStream: (() => Duplex) | undefined;
  /** Information lines (if any), then the final `OK`. */
  ok(...lines: Line[]): void;
  /** A final result other than OK (e.g. `ERROR: 703`), or any line, framed as `\r\n<line>\r\n`. */
  line(text: Line): void;
  /** An unsolicited line, framed like `line`; the URC faults may drop or repeat it. */
  urc(text: Line): void;
  /** Raw bytes, unframed (the `>` prompt). `onFlushed` runs when they have left the modem. */
  raw(bytes: Uint8Array, onFlushed?: () => void): void;
  /** Runs `fn` after the configured latency, in FIFO order with other delayed work. Cancelled by a reboot. */
  later(fn: () => void): void;
  /** Enters the data phase: resolves with exactly `size` bytes, or undefined on timeout or reboot. */
  readData(size: number): Promise<{ bytes: Buffer; earlyBytes: number } | undefined>;
  /** Opens a broker link; the listener is silenced automatically after a reboot. */
  connect(cfg: LinkConfig, listener: LinkListener): BrokerLink;
  /** Ends broker links abruptly (all, or one id), reporting `+MQTTBREAK: id,<cause>`. */
  dropLinks(cause: 1 | 2 | 3, id?: 1 | 2): void;
  /** Ends open broker links abruptly without a word to the device. */
  dropLinksSilently(id?: 1 | 2): void;
  /** Changes network registration, reporting `+CEREG`/`+CGREG` when enabled. */
  setRegistered(on: boolean): void;
  /** Formats a URC with optional spaces after commas, as the urcSpaces option asks. */
  sep(): string;
}

export type Handler = (core: ModemCore, cmd: ParsedCommand) => void | Promise<void>;

/** Handlers by form; a form left out answers with a syntax error. */
export interface CommandSpec {
  exec?: Handler;
  query?: Handler;
  test?: Handler;
  set?: Handler;
}
