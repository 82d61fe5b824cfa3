import type { TxPort } from "cellmqtt/at/port";
import type { FakeClock } from "./fake-clock.ts";

/**
 * A scripted Fibocom modem behind a mocked UART. It implements the engine's TxPort: command bytes
 * written to it are framed into CR-terminated lines (or, after a `>` prompt, exactly N raw data
 * bytes), recorded, and answered per the rules of the manual (spec/mqtt-at-commands.txt) and the
 * dialect notes (DESIGN.md section 5) with real byte transcripts, delivered through the fake clock
 * after a configurable latency. Tests can override any command's answer, inject unsolicited
 * lines, reboot it, silence it, break connections, and split every delivery in any way.
 */

/** Something the host wrote: a command line (without its CR) or a data payload after `>`. */
export type WireEntry = { kind: "line"; at: number; text: string } | { kind: "data"; at: number; bytes: Uint8Array };

export type SplitMode = "whole" | "bytes" | "random";

export interface Latencies {
  /** Echo, intermediate lines and final results of every command. */
  reply: number;
  /** `+MQTTOPEN: <id>,<status>` after `OK` (the field sees 60 ms to 40 s). */
  open: number;
  /** `+MQTTSUB`, `+MQTTUNSUB`, `+MQTTPUB`, `+MQTTCLOSE` statuses after `OK`. */
  status: number;
  /** `+MIPCALL: <ip>` after `AT+MIPCALL=1`'s `OK`. */
  call: number;
  /** `RDY` after a reboot. */
  boot: number;
}

/** How a client id's next `AT+MQTTOPEN=` ends. */
export type OpenOutcome =
  | { kind: "ok" }
  | { kind: "status0" }
  /** `ERROR: <code>` as the command's final result. */
  | { kind: "final"; code: number }
  /** `OK`, then `ERROR: <code>` as a line of its own later (while other commands may be in flight). */
  | { kind: "late"; code: number }
  /** `OK`, then nothing. */
  | { kind: "none" };

export interface InboundMessage {
  topic: Uint8Array;
  payload: Uint8Array;
  qos: number;
}

/** Reply builder handed to a command override. */
export interface Reply {
  /** The command line as received (no CR). */
  readonly command: string;
  /** Sends `text` (raw bytes, latin1) after `delay` ms more than the reply latency. */
  raw(text: string | Uint8Array, delay?: number): void;
  /** `\r\n<text>\r\n`. */
  line(text: string, delay?: number): void;
  /** Final result `\r\n<text>\r\n`; marks the command answered. */
  final(text: string, delay?: number): void;
  /** Lets the built-in rules answer. */
  fallback(): void;
  /** Sends no answer at all. */
  ignore(): void;
}

export type Override = (reply: Reply, modem: FakeModem) => void;

interface Rule {
  pattern: RegExp;
  handler: Override;
  times: number;
}

interface Slot {
  /** 0 free, 1 connecting, 2 open. */
  state: number;
  user: string | null;
  will: string | null;
  willData: Uint8Array | null;
  subs: Set<string>;
  inbox: InboundMessage[];
}

interface Pending {
  due: number;
  seq: number;
  bytes: Uint8Array | null;
  fn: (() => void) | null;
  final: boolean;
  epoch: number;
}

export interface FakeModemOptions {
  latency?: Partial<Latencies>;
  split?: SplitMode;
  /** Seed for `random` splits. */
  seed?: number;
  /** What the modem sends as its data prompt (default `>`, no line end). */
  prompt?: string;
  /** Echo on at start (a modem just powered up). Default true. */
  echo?: boolean;
  /** Write `RDY` at the start (time 0 + boot latency). Default false. */
  bootBanner?: boolean;
  ip?: string;
  /** `+MQTTREAD` header and record on one line (default) or the record on the next line. */
  readOnOneLine?: boolean;
  /** Spaces after commas in `+MQTTMSG` (mode 0). */
  msgSpaces?: boolean;
  /** The length form's data as raw bytes (default) or as hex text, two digits a byte. */
  publishData?: "raw" | "hex";
  /**
   * Answer inside `write`, as an in-process modem does: every latency is 0 and output due now
   * goes to the host before `write` returns.
   */
  inline?: boolean;
}

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const crlf = (s: string): string => `\r\n${s}\r\n`;

/** A small seeded generator (mulberry32), so random splits are repeatable. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FakeModem implements TxPort {
  /** Everything the host wrote, framed. */
  readonly wire: WireEntry[] = [];
  /** Every byte the host wrote, in order. */
  readonly written: number[] = [];
  /** Every byte delivered to the host, in order (latin1). */
  delivered = "";
  /** Command lines that began while the previous one still awaited its final result. */
  readonly overlaps: string[] = [];
  latency: Latencies;
  split: SplitMode;
  echo: boolean;
  /** While true, nothing is answered (the modem hangs); input is still recorded. */
  silent = false;
  /** While false, the modem is booting: it ignores input entirely. */
  alive = true;
  registered = true;
  /** `AT+CEREG?` answers `ERROR` (a 2G-only module): the host must fall back to `AT+CGREG?`. */
  noCereg = false;
  simReady = true;
  callActive = false;
  /** A new data call succeeds (else `AT+MIPCALL=1` gets `ERROR`). */
  callAllowed = true;
  /** Answer `ERROR` to every `AT+MQTT*` command while no data call is up, as some firmware does. */
  mqttNeedsCall = false;
  ip: string;
  apn: string | null = null;
  mode = 0;
  /** The next outcome of `AT+MQTTOPEN=` per client id (index 1, 2); default `ok`. */
  readonly openOutcome: (OpenOutcome | null)[] = [null, null, null];
  /** `+MQTTSUB`/`+MQTTUNSUB`/`+MQTTPUB` status the modem reports (1 success, 0 fail). */
  subStatus = 1;
  unsubStatus = 1;
  pubStatus = 1;
  /**
   * Faults for the next `+MQTTPUB`/`+MQTTSUB`/`+MQTTUNSUB` statuses, taken in order: `drop` loses
   * the status on the line, `dup` sends it twice, `zero` fails a publish (status 0, not published).
   */
  readonly statusFaults: ("drop" | "dup" | "zero")[] = [];
  readonly slots: Slot[];
  /** Every publish the modem accepted and reported as published: id, topic, payload. */
  readonly published: { id: number; topic: string; qos: number; retain: number; payload: Uint8Array }[] = [];
  private readonly rules: Rule[] = [];
  private readonly queue: Pending[] = [];
  private readonly timer;
  private seq = 0;
  private epoch = 0;
  private input: number[] = [];
  private dataLeft = 0;
  private data: number[] = [];
  private dataCommand: (() => void) | null = null;
  private awaitingFinal = false;
  private lastLine = "";
  private sink: ((bytes: Uint8Array) => void) | null = null;
  private readonly rand: () => number;
  private readonly prompt: string;
  private readonly readOnOneLine: boolean;
  private readonly msgSpaces: boolean;
  private readonly hexData: boolean;
  private readonly inline: boolean;

  constructor(
    readonly clock: FakeClock,
    options: FakeModemOptions = {},
  ) {
    this.inline = options.inline ?? false;
    this.latency = this.inline
      ? { reply: 0, open: 0, status: 0, call: 0, boot: 0 }
      : { reply: 5, open: 60, status: 20, call: 300, boot: 2000, ...options.latency };
    this.split = options.split ?? "whole";
    this.rand = seeded(options.seed ?? 1);
    this.prompt = options.prompt ?? ">";
    this.echo = options.echo ?? true;
    this.ip = options.ip ?? "10.2.83.148";
    this.readOnOneLine = options.readOnOneLine ?? true;
    this.msgSpaces = options.msgSpaces ?? false;
    this.hexData = options.publishData === "hex";
    this.slots = [0, 1, 2].map(() => ({ state: 0, user: null, will: null, willData: null, subs: new Set<string>(), inbox: [] }));
    this.timer = clock.timer(() => this.deliverDue());
    if (options.bootBanner) this.emit(crlf("RDY"), this.latency.boot);
  }

  /** Connects the modem's output to the host (an engine's `receive`). */
  attach(sink: (bytes: Uint8Array) => void): void {
    this.sink = sink;
  }

  // ---- what went on the wire ----

  /** Command lines received, in order. */
  get lines(): string[] {
    const out: string[] = [];
    for (const e of this.wire) if (e.kind === "line") out.push(e.text);
    return out;
  }

  /** Data payloads received after `>`, in order. */
  get payloads(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const e of this.wire) if (e.kind === "data") out.push(e.bytes);
    return out;
  }

  /** Every byte written, as latin1 text. */
  get writtenText(): string {
    return Buffer.from(this.written).toString("latin1");
  }

  /** Lines matching `re`. */
  linesMatching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }

  count(re: RegExp): number {
    return this.linesMatching(re).length;
  }

  // ---- scripting ----

  /** Answers the next `times` commands matching `pattern` with `handler` instead of the rules. */
  when(pattern: RegExp, handler: Override, times = Number.POSITIVE_INFINITY): void {
    this.rules.push({ pattern, handler, times });
  }

  /** Sends `text` (latin1) to the host after `delay` ms. */
  emit(text: string | Uint8Array, delay = 0, final = false): void {
    const bytes = typeof text === "string" ? enc(text) : text;
    const due = this.clock.now() + delay;
    this.enqueue({ due, seq: this.seq++, bytes, fn: null, final, epoch: this.epoch });
  }

  private enqueue(p: Pending): void {
    if (this.inline && p.due <= this.clock.now() && this.queue.length === 0) {
      this.run(p);
      return;
    }
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.due > p.due) i--;
    this.queue.splice(i, 0, p);
    this.arm();
  }

  /** `\r\n<line>\r\n` after `delay`. */
  urc(line: string, delay = 0): void {
    this.emit(crlf(line), delay);
  }

  /** The broker sends a message to client `id`: reported per the modem's current mode. */
  message(id: number, topic: string | Uint8Array, payload: string | Uint8Array, qos = 0, delay = 0): void {
    const t = typeof topic === "string" ? enc(topic) : topic;
    const p = typeof payload === "string" ? enc(payload) : payload;
    if (this.mode === 1) {
      this.slots[id]!.inbox.push({ topic: t, payload: p, qos });
      this.urc(`+MQTTMSGI: ${id},${qos},${t.length},${p.length}`, delay);
      return;
    }
    const sep = this.msgSpaces ? ", " : ",";
    const line = concat(enc(`\r\n+MQTTMSG: ${id}${sep}${qos}${sep}"`), t, enc(`"${sep}"`), p, enc(`"\r\n`));
    this.emit(line, delay);
  }

  /** The connection of `id` drops: `+MQTTBREAK: <id>,<cause>`; causes 2 and 3 take the network down too. */
  breakConnection(id: number, cause: number, delay = 0, thenClose = true): void {
    this.slots[id]!.state = 0;
    this.slots[id]!.subs.clear();
    this.slots[id]!.inbox.length = 0;
    if (cause === 2) this.callActive = false;
    if (cause === 3) {
      this.registered = false;
      this.callActive = false;
    }
    this.urc(`+MQTTBREAK: ${id},${cause}`, delay);
    // The manual's example reports the close right after the break.
    if (thenClose) this.urc(`+MQTTCLOSE: ${id},1`, delay);
  }

  /** The data call drops: `+MIPCALL: 0`, and every MQTT connection with it. */
  dropCall(delay = 0): void {
    this.callActive = false;
    for (let id = 1; id <= 2; id++) this.slots[id]!.state = 0;
    this.urc("+MIPCALL: 0", delay);
  }

  /** The data call drops and no `+MIPCALL: 0` reaches the host (lost on the line, or never sent). */
  loseCall(): void {
    this.callActive = false;
    for (let id = 1; id <= 2; id++) this.slots[id]!.state = 0;
  }

  /** The connection of `id` ends and no `+MQTTBREAK` reaches the host. */
  loseConnection(id: number): void {
    this.slots[id]!.state = 0;
    this.slots[id]!.subs.clear();
  }

  /**
   * The modem resets: all state lost, echo on, pending output discarded, `RDY` after the boot
   * time (or, with `banner` false, no `RDY` at all: a reboot the host must find out itself).
   */
  reboot(bootMs = this.latency.boot, banner = true): void {
    this.epoch++;
    this.queue.length = 0;
    this.alive = false;
    this.echo = true;
    this.mode = 0;
    this.callActive = false;
    this.input = [];
    this.dataLeft = 0;
    this.dataCommand = null;
    this.awaitingFinal = false;
    for (const s of this.slots) {
      s.state = 0;
      s.user = null;
      s.will = null;
      s.willData = null;
      s.subs.clear();
      s.inbox.length = 0;
    }
    this.enqueue({
      due: this.clock.now() + bootMs,
      seq: this.seq++,
      bytes: null,
      fn: () => {
        this.alive = true;
        if (banner) this.deliver(enc(crlf("RDY")));
      },
      final: false,
      epoch: this.epoch,
    });
  }

  // ---- TxPort ----

  write(bytes: Uint8Array, offset: number, length: number): void {
    for (let i = offset; i < offset + length; i++) {
      const c = bytes[i]!;
      this.written.push(c);
      if (!this.alive) continue;
      if (this.dataLeft > 0) {
        this.data.push(c);
        if (--this.dataLeft === 0) {
          const payload = new Uint8Array(this.data);
          this.data = [];
          this.wire.push({ kind: "data", at: this.clock.now(), bytes: payload });
          const then = this.dataCommand;
          this.dataCommand = null;
          then?.();
        }
        continue;
      }
      if (c === 0x0d) {
        const line = Buffer.from(this.input).toString("latin1");
        this.input = [];
        this.command(line);
      } else if (c !== 0x0a) {
        this.input.push(c);
      }
    }
  }

  // ---- answering ----

  private command(line: string): void {
    this.wire.push({ kind: "line", at: this.clock.now(), text: line });
    if (this.awaitingFinal) this.overlaps.push(`${line} (while ${this.lastLine} awaited its result)`);
    this.lastLine = line;
    if (this.silent) return;
    this.awaitingFinal = true;
    if (this.echo) this.emit(line + "\r", this.latency.reply);
    const reply = this.replyFor(line);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!rule.pattern.test(line)) continue;
      if (--rule.times <= 0) this.rules.splice(i, 1);
      let fellBack = false;
      rule.handler({ ...reply, fallback: () => void (fellBack = true) }, this);
      if (!fellBack) return;
      break;
    }
    this.answer(line, reply);
  }

  private replyFor(line: string): Reply {
    const base = this.latency.reply;
    const r: Reply = {
      command: line,
      raw: (text, delay = 0) => this.emit(text, base + delay),
      line: (text, delay = 0) => this.emit(crlf(text), base + delay),
      final: (text, delay = 0) => this.emit(crlf(text), base + delay, true),
      fallback: () => {},
      ignore: () => {
        this.awaitingFinal = false;
      },
    };
    return r;
  }

  private answer(line: string, r: Reply): void {
    const ok = (): void => r.final("OK");
    const error = (): void => r.final("ERROR");
    const st = this.latency.status;
    let m: RegExpMatchArray | null;
    if (line === "AT") return ok();
    if (/^ATE0$/i.test(line)) {
      this.echo = false;
      return ok();
    }
    if (/^ATE1$/i.test(line)) {
      this.echo = true;
      return ok();
    }
    if (line === "AT+CPIN?") {
      if (!this.simReady) return r.final("+CME ERROR: 10");
      r.line("+CPIN: READY");
      return ok();
    }
    if (line === "AT+CEREG?") {
      if (this.noCereg) return error();
      r.line(`+CEREG: 0,${this.registered ? 1 : 2}`);
      return ok();
    }
    if (line === "AT+CGREG?") {
      r.line(`+CGREG: 0,${this.registered ? 1 : 2}`);
      return ok();
    }
    if (line === "AT+COPS?") {
      r.line(this.registered ? '+COPS: 0,0,"CHN-UNICOM",7' : "+COPS: 0");
      return ok();
    }
    if (line === "AT+CSQ") {
      r.line("+CSQ: 20,99");
      return ok();
    }
    if (line === "AT+CSQ=?") {
      r.line("+CSQ: (0-31,99),(0-7,99)");
      return ok();
    }
    if (line === "AT+MIPCALL?") {
      r.line(this.callActive ? `+MIPCALL: 1,${this.ip}` : "+MIPCALL: 0");
      return ok();
    }
    if ((m = /^AT\+MIPCALL=([01])(?:,"([^"]*)")?$/.exec(line))) {
      if (m[1] === "0") {
        this.callActive = false;
        ok();
        return r.line("+MIPCALL: 0", st);
      }
      if (!this.registered || !this.callAllowed || this.callActive) return error();
      this.apn = m[2] ?? null;
      ok();
      this.callActive = true;
      return r.line(`+MIPCALL: ${this.ip}`, this.latency.call);
    }
    // ---- MQTT ----
    if (this.mqttNeedsCall && !this.callActive && line.startsWith("AT+MQTT")) return error();
    if (line === "AT+MQTTCONF?") {
      r.line(`+MQTTCONF: ${this.mode}`);
      return ok();
    }
    if (line === "AT+MQTTCONF=?") {
      r.line("+MQTTCONF: (0,1)");
      return ok();
    }
    if ((m = /^AT\+MQTTCONF=(\d+)$/.exec(line))) {
      const mode = Number(m[1]);
      if (mode > 1) return error();
      this.mode = mode;
      return ok();
    }
    if (line === "AT+MQTTUSER=?") {
      r.line("+MQTTUSER: (1,2),128,128,23");
      return ok();
    }
    if (line === "AT+MQTTUSER?") {
      for (let id = 1; id <= 2; id++) if (this.slots[id]!.user !== null) r.line(`+MQTTUSER: ${id},${this.slots[id]!.user}`);
      return ok();
    }
    if ((m = /^AT\+MQTTUSER=([12]),("[ -!#-~]*","[ -!#-~]*"(?:,"[ -!#-~]*")?)$/.exec(line))) {
      this.slots[Number(m[1])]!.user = m[2]!;
      return ok();
    }
    if (line === "AT+MQTTOPEN=?") {
      r.line('+MQTTOPEN: (1,2),"",(1-65535),(0,1),(1-300)');
      return ok();
    }
    if (line === "AT+MQTTOPEN?") {
      const free = [1, 2].filter((id) => this.slots[id]!.state === 0);
      r.line(`+MQTTOPEN: ${free.length === 0 ? "0" : free.join(",")}`);
      return ok();
    }
    if ((m = /^AT\+MQTTOPEN=([12]),"([ -!#-~]+)",(\d+),([01]),(\d+)(?:,(\d+))?$/.exec(line))) {
      const id = Number(m[1]);
      const slot = this.slots[id]!;
      if (slot.state !== 0 || !this.callActive) return error();
      const outcome = this.openOutcome[id] ?? { kind: "ok" };
      this.openOutcome[id] = null;
      switch (outcome.kind) {
        case "final":
          return r.final(`ERROR: ${outcome.code}`);
        case "late":
          slot.state = 1;
          ok();
          return this.later(() => {
            slot.state = 0;
            this.emit(crlf(`ERROR: ${outcome.code}`));
          }, this.latency.open);
        case "status0":
          slot.state = 1;
          ok();
          return this.later(() => {
            slot.state = 0;
            this.emit(crlf(`+MQTTOPEN: ${id},0`));
          }, this.latency.open);
        case "none":
          slot.state = 1;
          return ok();
        case "ok":
          slot.state = 1;
          ok();
          return this.later(() => {
            if (slot.state !== 1) return;
            slot.state = 2;
            this.emit(crlf(`+MQTTOPEN: ${id},1`));
          }, this.latency.open);
      }
      return;
    }
    if (line === "AT+MQTTCLOSE=?") {
      r.line("+MQTTCLOSE: (1,2)");
      return ok();
    }
    if (line === "AT+MQTTCLOSE?") {
      const open = [1, 2].filter((id) => this.slots[id]!.state !== 0);
      r.line(`+MQTTCLOSE: ${open.length === 0 ? "0" : open.join(",")}`);
      return ok();
    }
    if ((m = /^AT\+MQTTCLOSE=([12])$/.exec(line))) {
      const id = Number(m[1]);
      const slot = this.slots[id]!;
      if (slot.state === 0) return error();
      slot.state = 0;
      slot.subs.clear();
      ok();
      return r.line(`+MQTTCLOSE: ${id},1`, st);
    }
    if (line === "AT+MQTTSUB=?") {
      r.line("+MQTTSUB: (1,2),255,(0-2)");
      return ok();
    }
    if ((m = /^AT\+MQTTSUB=([12]),"([ -!#-~]{1,255})",([0-2])$/.exec(line))) {
      const id = Number(m[1]);
      if (this.slots[id]!.state !== 2) return error();
      if (this.subStatus === 1) this.slots[id]!.subs.add(m[2]!);
      ok();
      return this.status(`+MQTTSUB: ${id},${this.subStatus}`, r, st);
    }
    if (line === "AT+MQTTUNSUB=?") {
      r.line("+MQTTUNSUB: (1,2),255");
      return ok();
    }
    if ((m = /^AT\+MQTTUNSUB=([12]),"([ -!#-~]{1,255})"$/.exec(line))) {
      const id = Number(m[1]);
      if (this.slots[id]!.state !== 2) return error();
      this.slots[id]!.subs.delete(m[2]!);
      ok();
      return this.status(`+MQTTUNSUB: ${id},${this.unsubStatus}`, r, st);
    }
    if (line === "AT+MQTTPUB=?") {
      r.line("+MQTTPUB: (1,2),255,(0-2),(0,1),1024");
      return ok();
    }
    if ((m = /^AT\+MQTT(PUB|WILL)=([12]),"([ -!#-~]{1,255})",([0-2]),([01]),(?:"([ -!#-~]{0,1024})"|(\d+))$/.exec(line))) {
      const pub = m[1] === "PUB";
      const id = Number(m[2]);
      const topic = m[3]!;
      const qos = Number(m[4]);
      const retain = Number(m[5]);
      const slot = this.slots[id]!;
      if (pub && slot.state !== 2) return error();
      const done = (payload: Uint8Array): void => {
        if (!pub) {
          slot.will = line;
          slot.willData = payload;
          return ok();
        }
        if (slot.state !== 2) return error();
        ok();
        const fault = this.statusFaults.shift();
        this.later(() => {
          const status = fault === "zero" ? 0 : this.pubStatus;
          if (status === 1) this.published.push({ id, topic, qos, retain, payload });
          if (fault === "drop") return;
          this.emit(crlf(`+MQTTPUB: ${id},${status}`));
          if (fault === "dup") this.emit(crlf(`+MQTTPUB: ${id},${status}`), 1);
        }, st);
      };
      if (m[6] !== undefined) return done(enc(m[6]));
      // The manual gives the length form to AT+MQTTPUB only.
      if (!pub) return error();
      const size = Number(m[7]);
      if (size < 1 || size > 1024) return error();
      this.dataLeft = size;
      this.dataCommand = () => {
        const data = this.payloads.at(-1)!;
        if (!this.hexData) return done(new Uint8Array(data));
        const text = Buffer.from(data).toString("latin1");
        if (!/^(?:[0-9A-Fa-f]{2})+$/.test(text)) return error();
        done(new Uint8Array(Buffer.from(text, "hex")));
      };
      r.raw(this.prompt);
      return;
    }
    if (line === "AT+MQTTWILL=?") {
      r.line("+MQTTWILL: (1,2),255,(0-2),(0,1),1024");
      return ok();
    }
    if (line === "AT+MQTTWILL?") {
      for (let id = 1; id <= 2; id++) {
        const w = this.slots[id]!.will;
        if (w !== null) r.line(`+MQTTWILL: ${w.slice("AT+MQTTWILL=".length)}`);
      }
      return ok();
    }
    if (line === "AT+MQTTREAD=?") {
      r.line("+MQTTREAD: (1,2)");
      return ok();
    }
    if ((m = /^AT\+MQTTREAD=([12])$/.exec(line))) {
      const id = Number(m[1]);
      const msg = this.slots[id]!.inbox.shift();
      if (!msg) {
        r.line(`+MQTTREAD: ${id},0,0,0`);
        return ok();
      }
      const head = `+MQTTREAD: ${id},${msg.qos},${msg.topic.length},${msg.payload.length}`;
      const record = concat(enc(this.readOnOneLine ? `\r\n${head},"` : `\r\n${head}\r\n"`), msg.topic, enc('","'), msg.payload, enc('"\r\n'));
      r.raw(record);
      return ok();
    }
    error();
  }

  /** A subscribe or unsubscribe status line, through the next status fault if one is set. */
  private status(line: string, r: Reply, delay: number): void {
    const fault = this.statusFaults.shift();
    if (fault === "drop") return;
    r.line(line, delay);
    if (fault === "dup") r.line(line, delay + 1);
  }

  /** Runs `fn` after `ms` (plus the reply latency), unless the modem rebooted meanwhile. */
  private later(fn: () => void, ms: number): void {
    this.enqueue({ due: this.clock.now() + this.latency.reply + ms, seq: this.seq++, bytes: null, fn, final: false, epoch: this.epoch });
  }

  // ---- delivery ----

  private arm(): void {
    const next = this.queue[0];
    if (next) this.timer.schedule(next.due - this.clock.now());
  }

  private deliverDue(): void {
    const now = this.clock.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      this.run(this.queue.shift()!);
    }
    this.arm();
  }

  private run(p: Pending): void {
    if (p.epoch !== this.epoch) return;
    if (p.fn !== null) {
      p.fn();
      return;
    }
    if (p.final) this.awaitingFinal = false;
    if (this.alive) this.deliver(p.bytes!);
  }

  private deliver(bytes: Uint8Array): void {
    this.delivered += Buffer.from(bytes).toString("latin1");
    const sink = this.sink;
    if (sink === null) return;
    if (this.split === "whole") return sink(bytes);
    if (this.split === "bytes") {
      for (let i = 0; i < bytes.length; i++) sink(bytes.subarray(i, i + 1));
      return;
    }
    let i = 0;
    while (i < bytes.length) {
      const n = 1 + Math.floor(this.rand() * 17);
      sink(bytes.subarray(i, i + n));
      i += n;
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
