/**
 * The virtual modem: bytes from the device in (`input`), bytes toward the device out (`output`
 * event). Transport-agnostic; adapters in ./adapters connect it to a stream, a TCP port or a pty.
 * This class is the plumbing: framing, one-command-at-a-time execution, the data phase, output
 * and timing. What each command does lives in the *-commands.ts files; faults in fault-actions.ts.
 */
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import type { AlarmTimer, Clock } from "cellmqtt/at/port";
import { NodeClock } from "../node/clock.ts";
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
import { UrcFaults } from "./urc-faults.ts";
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
  /** Bytes already buffered when the phase began: they were sent before any prompt. */
  buffered: number;
  promptOut: boolean;
  resolve: (r: { bytes: Buffer; earlyBytes: number } | undefined) => void;
}

const CRLF = "\r\n";

export class VirtualModem extends EventEmitter<VirtualModemEvents> implements ModemCore {
  readonly options: ResolvedOptions;
  readonly log: CommandLog;
  state: ModemState = freshState();
  readonly random: Random;
  readonly pacer: OutputPacer;
  readonly clock: Clock;
  readonly brokerStream: (() => Duplex) | undefined;
  readonly urcFaults = new UrcFaults();
  /** The mqttNeedsDataCall option, switchable at run time by the fault of the same name. */
  mqttNeedsDataCall: boolean;
  private readonly scheduler: FifoScheduler;
  private readonly framer: InputFramer;
  /** Bumped by every boot: work started under an older value is stale. */
  private generation = 0;
  private busy = false;
  private pumping = false;
  private data: DataPhase | undefined;
  private booting = true;
  private announceBoot = true;
  private silentUntil = 0;
  private stalledUntil = 0;
  /** Output written during a stall, released at its end. */
  private held: { bytes: Uint8Array; onFlushed: (() => void) | undefined }[] = [];
  /** One-shot delay of the next data-phase prompt (the late-prompt fault). */
  private promptDelayMs = 0;
  private readonly bootTimer: AlarmTimer;
  private readonly dataTimer: AlarmTimer;
  private readonly stallTimer: AlarmTimer;
  private readonly promptTimer: AlarmTimer;
  private promptPending: (() => void) | undefined;
  private closed = false;

  constructor(options: VirtualModemOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.clock = options.clock ?? new NodeClock();
    this.brokerStream = options.brokerStream;
    this.mqttNeedsDataCall = this.options.mqttNeedsDataCall;
    this.random = new Random(this.options.seed);
    this.log = new CommandLog(
      this.clock,
      (e) => this.emit("line", e),
      (e) => this.emit("payload", e),
    );
    this.pacer = new OutputPacer(this.clock, (chunk) => this.emit("output", chunk), this.random, this.options.baud);
    this.scheduler = new FifoScheduler(this.clock, this.random, this.options.latencyMs);
    this.framer = new InputFramer(this.options.maxLineLength);
    this.bootTimer = this.clock.timer(() => this.ready());
    this.dataTimer = this.clock.timer(() => this.dataTimedOut());
    this.stallTimer = this.clock.timer(() => this.endStall());
    this.promptTimer = this.clock.timer(() => {
      const write = this.promptPending;
      this.promptPending = undefined;
      write?.();
    });
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
    for (const t of [this.bootTimer, this.dataTimer, this.stallTimer, this.promptTimer]) t.cancel();
    this.held = [];
    await Promise.all(this.state.slots.map((s) => s.link?.abandon()));
  }

  isSilent(): boolean {
    return this.booting || this.clock.now() < this.silentUntil;
  }

  silence(seconds: number): void {
    this.silentUntil = this.clock.now() + seconds * 1000;
  }

  isStalled(): boolean {
    return this.clock.now() < this.stalledUntil;
  }

  /** Holds output and leaves input unread for `seconds`, then releases both at once. */
  stall(seconds: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, this.clock.now() + seconds * 1000);
    this.stallTimer.schedule(this.stalledUntil - this.clock.now());
  }

  /** Delays the next data-phase prompt by `ms`. */
  delayNextPrompt(ms: number): void {
    this.promptDelayMs = ms;
  }

  /** Resets to power-on state; `RDY` follows after `delayMs` unless `announce` is false. */
  boot(delayMs: number, announce = true): void {
    this.generation++;
    this.scheduler.cancel();
    this.busy = false;
    this.dataTimer.cancel();
    this.promptTimer.cancel();
    this.promptPending = undefined;
    this.data = undefined;
    this.framer.reset();
    this.held = [];
    for (const slot of this.state.slots) void slot.link?.abandon();
    this.state = rebootState(this.state, this.options.persistSettings);
    this.booting = true;
    this.announceBoot = announce;
    this.bootTimer.schedule(delayMs);
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
      const phase: DataPhase = { size, chunks: [], got: 0, early: 0, buffered: this.framer.available(), promptOut: false, resolve };
      this.data = phase;
      const prompt = (): void => this.raw(latin1(this.options.prompt), () => (phase.promptOut = true));
      if (this.promptDelayMs > 0) {
        this.promptPending = prompt;
        this.promptTimer.schedule(this.promptDelayMs);
        this.promptDelayMs = 0;
      } else {
        prompt();
      }
      if (this.options.dataTimeoutMs > 0) this.dataTimer.schedule(this.options.dataTimeoutMs);
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

  /**
   * Ends open connections abruptly (the broker publishes the will) and reports nothing: no
   * `+MQTTBREAK`, no `+MQTTCLOSE`, no status of a publish in flight. A connect in progress is
   * failed as usual, since its MQTTOPEN must still end.
   */
  dropLinksSilently(id?: 1 | 2): void {
    for (const slot of this.state.slots) {
      if (id !== undefined && slot.id !== id) continue;
      if (slot.status === "connecting") slot.link?.kill(1);
      if (slot.status !== "open") continue;
      void slot.link?.abandon();
      slot.link = undefined;
      slot.status = "idle";
      slot.subscriptions = [];
    }
  }

  setRegistered(on: boolean): void {
    if (this.state.registered === on) return;
    this.state.registered = on;
    const stat = on ? 1 : 0;
    if (this.state.ceregN > 0) this.urc(`+CEREG: ${stat}`);
    if (this.state.cgregN > 0) this.urc(`+CGREG: ${stat}`);
  }

  urc(text: Line): void {
    const times = this.urcFaults.times(text);
    for (let i = 0; i < times; i++) this.line(text);
  }

  sep(): string {
    return this.options.urcSpaces ? " " : "";
  }

  // ---- plumbing ----

  private send(bytes: Uint8Array, onFlushed?: () => void): void {
    if (this.closed || this.isSilent()) return;
    if (this.isStalled()) {
      this.held.push({ bytes, onFlushed });
      return;
    }
    this.pacer.write(bytes, onFlushed);
  }

  private ready(): void {
    this.booting = false;
    if (this.announceBoot) this.urc("RDY");
    this.emit("ready");
    this.pump();
  }

  private endStall(): void {
    if (this.isStalled()) {
      this.stallTimer.schedule(this.stalledUntil - this.clock.now());
      return;
    }
    const held = this.held;
    this.held = [];
    for (const h of held) this.send(h.bytes, h.onFlushed);
    this.pump();
  }

  private dataTimedOut(): void {
    const phase = this.data;
    if (!phase) return;
    this.data = undefined;
    phase.resolve(undefined);
  }

  /** Moves buffered input forward as far as the modem's state allows. Never re-entered. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.framer.available() > 0) {
        if (this.isStalled()) break;
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
    const before = Math.min(chunk.length, phase.buffered);
    phase.buffered -= before;
    phase.early += phase.promptOut ? before : chunk.length;
    phase.chunks.push(Buffer.from(chunk));
    phase.got += chunk.length;
    if (phase.got < phase.size) return;
    this.dataTimer.cancel();
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
    if (this.mqttNeedsDataCall && !this.state.dataCall && cmd.name.startsWith("+MQTT")) return this.fail(new AtError("state"));
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
