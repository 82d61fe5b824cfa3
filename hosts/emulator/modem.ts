/**
 * The virtual modem: bytes from the device in (`input`), bytes toward the device out (`output`
 * event). Transport-agnostic; adapters in ./adapters connect it to a stream, a TCP port or a pty.
 * This class is the plumbing: framing, one-command-at-a-time execution, the data phase, output
 * and timing. What each command does lives in the *-commands.ts files; faults in fault-actions.ts.
 */
import { EventEmitter } from "node:events";
import { parseCommand } from "./at-parse.ts";
import { BrokerLink, type LinkConfig, type LinkListener } from "./broker-link.ts";
import { latin1 } from "./bytes.ts";
import { CommandLog, type LoggedLine, type LoggedPayload } from "./command-log.ts";
import { COMMANDS } from "./commands.ts";
import type { Line, ModemCore } from "./core.ts";
import { AtError, errorLine } from "./errors.ts";
import { applyFault } from "./fault-actions.ts";
import { type Fault, parseFault } from "./faults.ts";
import { type FramedLine, InputFramer } from "./input-framer.ts";
import { type ResolvedOptions, resolveOptions, type VirtualModemOptions } from "./options.ts";
import { OutputPacer } from "./output-pacer.ts";
import { Random } from "./random.ts";
import { FifoScheduler } from "./scheduler.ts";
import { freshState, type ModemState, rebootState } from "./state.ts";

export interface VirtualModemEvents {
  /** Bytes toward the device (what the MCU reads from its UART). */
  output: [bytes: Uint8Array];
  /** A line the device wrote, as logged. */
  line: [entry: LoggedLine];
  /** A data-phase payload the device wrote, as logged. */
  payload: [entry: LoggedPayload];
  /** A fault was injected (API, side channel or control port). */
  fault: [fault: Fault];
  /** `RDY` was sent (first start or reboot). */
  ready: [];
}

interface DataPhase {
  size: number;
  chunks: Buffer[];
  got: number;
  early: number;
  promptOut: boolean;
  resolve: (r: { bytes: Buffer; earlyBytes: number } | undefined) => void;
  timer: NodeJS.Timeout | undefined;
}

const CRLF = "\r\n";

export class VirtualModem extends EventEmitter<VirtualModemEvents> implements ModemCore {
  readonly options: ResolvedOptions;
  readonly log: CommandLog;
  state: ModemState = freshState();
  readonly random: Random;
  readonly pacer: OutputPacer;
  private readonly scheduler: FifoScheduler;
  private readonly framer: InputFramer;
  /** Bumped by every boot: work started under an older value is stale. */
  private generation = 0;
  private busy = false;
  private pumping = false;
  private data: DataPhase | undefined;
  private booting = true;
  private bootTimer: NodeJS.Timeout | undefined;
  private silentUntil = 0;
  private closed = false;

  constructor(options: VirtualModemOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.random = new Random(this.options.seed);
    this.log = new CommandLog(
      (e) => this.emit("line", e),
      (e) => this.emit("payload", e),
    );
    this.pacer = new OutputPacer((chunk) => this.emit("output", chunk), this.random, this.options.baud);
    this.scheduler = new FifoScheduler(this.random, this.options.latencyMs);
    this.framer = new InputFramer(this.options.maxLineLength);
  }

  /** Powers the modem on: `RDY` after bootDelayMs. Input before that is ignored. */
  start(): void {
    this.boot(this.options.bootDelayMs);
  }

  /** Bytes from the device (what the MCU writes to its UART). */
  input(bytes: Uint8Array | string): void {
    if (this.closed) return;
    this.framer.push(typeof bytes === "string" ? latin1(bytes) : bytes);
    this.pump();
  }

  inject(fault: Fault): void {
    this.emit("fault", fault);
    applyFault(this, fault);
  }

  /** Runs a control line (`AT#FAULT=...` or `name [arg]`); false when it is not one. */
  control(line: string): boolean {
    const fault = parseFault(line);
    if (!fault) return false;
    this.inject(fault);
    return true;
  }

  setLatency(latencyMs: number | readonly [number, number]): void {
    this.scheduler.setLatency(typeof latencyMs === "number" ? [latencyMs, latencyMs] : latencyMs);
  }

  /** Stops everything: broker links ended abruptly, timers cleared, no more output. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.cancel();
    this.pacer.clear();
    if (this.bootTimer) clearTimeout(this.bootTimer);
    if (this.data?.timer) clearTimeout(this.data.timer);
    await Promise.all(this.state.slots.map((s) => s.link?.abandon()));
  }

  isSilent(): boolean {
    return this.booting || performance.now() < this.silentUntil;
  }

  silence(seconds: number): void {
    this.silentUntil = performance.now() + seconds * 1000;
  }

  /** Resets to power-on state; `RDY` follows after `delayMs`. */
  boot(delayMs: number): void {
    this.generation++;
    this.scheduler.cancel();
    this.busy = false;
    if (this.data?.timer) clearTimeout(this.data.timer);
    this.data = undefined;
    this.framer.reset();
    for (const slot of this.state.slots) void slot.link?.abandon();
    this.state = rebootState(this.state, this.options.persistSettings);
    this.booting = true;
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.bootTimer = setTimeout(() => {
      this.bootTimer = undefined;
      this.booting = false;
      this.line("RDY");
      this.emit("ready");
    }, delayMs);
  }

  // ---- ModemCore ----

  ok(...lines: Line[]): void {
    // Information lines share one header: "\r\n+A\r\n+B\r\n\r\nOK\r\n", as modems print them.
    const parts: (string | Uint8Array)[] = [];
    if (lines.length > 0) parts.push(CRLF);
    for (const l of lines) parts.push(l, CRLF);
    parts.push(CRLF, "OK", CRLF);
    this.send(Buffer.concat(parts.map((p) => (typeof p === "string" ? latin1(p) : p))));
  }

  line(text: Line): void {
    this.send(Buffer.concat([latin1(CRLF), typeof text === "string" ? latin1(text) : text, latin1(CRLF)]));
  }

  raw(bytes: Uint8Array, onFlushed?: () => void): void {
    this.send(bytes, onFlushed);
  }

  later(fn: () => void): void {
    this.scheduler.schedule(fn);
  }

  readData(size: number): Promise<{ bytes: Buffer; earlyBytes: number } | undefined> {
    return new Promise((resolve) => {
      const phase: DataPhase = { size, chunks: [], got: 0, early: 0, promptOut: false, resolve, timer: undefined };
      this.data = phase;
      this.raw(latin1(this.options.prompt), () => (phase.promptOut = true));
      const ms = this.options.dataTimeoutMs;
      if (ms > 0) {
        phase.timer = setTimeout(() => {
          if (this.data !== phase) return;
          this.data = undefined;
          resolve(undefined);
        }, ms);
      }
      queueMicrotask(() => this.pump());
    });
  }

  connect(cfg: LinkConfig, listener: LinkListener): BrokerLink {
    return new BrokerLink(cfg, listener);
  }

  dropLinks(cause: 1 | 2 | 3, id?: 1 | 2): void {
    for (const slot of this.state.slots) {
      if (id !== undefined && slot.id !== id) continue;
      if (slot.status === "connecting" || slot.status === "open") slot.link?.kill(cause);
    }
  }

  setRegistered(on: boolean): void {
    if (this.state.registered === on) return;
    this.state.registered = on;
    const stat = on ? 1 : 0;
    if (this.state.ceregN > 0) this.line(`+CEREG: ${stat}`);
    if (this.state.cgregN > 0) this.line(`+CGREG: ${stat}`);
  }

  sep(): string {
    return this.options.urcSpaces ? " " : "";
  }

  // ---- plumbing ----

  private send(bytes: Uint8Array, onFlushed?: () => void): void {
    if (this.closed || this.isSilent()) return;
    this.pacer.write(bytes, onFlushed);
  }

  /** Moves buffered input forward as far as the modem's state allows. Never re-entered. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.framer.available() > 0) {
        if (this.isSilent()) {
          const step = this.framer.readLine();
          if (step.line && step.line.bytes.length > 0) this.log.addLine("ignored", step.line.bytes, step.line.terminator);
          continue;
        }
        if (this.data) {
          this.feedData(this.data);
          continue;
        }
        if (this.busy) break;
        const step = this.framer.readLine();
        if (this.state.echo) this.send(step.consumed);
        if (step.line) this.execute(step.line);
      }
    } finally {
      this.pumping = false;
    }
  }

  private feedData(phase: DataPhase): void {
    const chunk = this.framer.readData(phase.size - phase.got);
    if (!phase.promptOut) phase.early += chunk.length;
    phase.chunks.push(Buffer.from(chunk));
    phase.got += chunk.length;
    if (phase.got < phase.size) return;
    if (phase.timer) clearTimeout(phase.timer);
    this.data = undefined;
    phase.resolve({ bytes: Buffer.concat(phase.chunks), earlyBytes: phase.early });
  }

  private execute(line: FramedLine): void {
    if (line.bytes.length === 0 && !line.overflow) return;
    const isControl = /^AT#/i.test(line.bytes.toString("latin1"));
    this.log.addLine(isControl ? "control" : "command", line.bytes, line.terminator);
    if (line.overflow) return this.fail(new AtError("syntax"));
    if (isControl) {
      const fault = parseFault(line.bytes.toString("latin1"));
      if (!fault) return this.fail(new AtError("syntax"));
      // OK first: a reboot or silence must not swallow the answer to the line that caused it.
      this.ok();
      this.inject(fault);
      return;
    }
    // A real modem ignores lines that do not start with AT; they stay in the log.
    if (!/^AT/i.test(line.bytes.toString("latin1"))) return;
    const cmd = parseCommand(line.bytes);
    if (!cmd) return this.fail(new AtError("syntax"));
    const spec = COMMANDS[cmd.name];
    if (!spec) return this.fail(new AtError("unknown"));
    const handler = spec[cmd.form];
    if (!handler) return this.fail(new AtError("syntax"));
    const generation = this.generation;
    try {
      const result = handler(this, cmd);
      if (!(result instanceof Promise)) return;
      this.busy = true;
      result
        .catch((err: unknown) => {
          if (generation === this.generation) this.fail(err);
        })
        .finally(() => {
          if (generation !== this.generation) return;
          this.busy = false;
          this.pump();
        });
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (!(err instanceof AtError)) {
      console.error("emulator: command handler failed", err);
      this.line(errorLine("syntax", "plain"));
      return;
    }
    this.line(errorLine(err.reason, this.options.errors));
  }
}
