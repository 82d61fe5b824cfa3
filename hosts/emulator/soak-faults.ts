/**
 * The soak's fault mix: every fault the emulator has, drawn at random with its arguments, at
 * random gaps; faults that set a condition (radio down, split writes, a slow line, MQTT refused
 * before the data call) are undone after a random while. All on the simulated clock.
 */
import type { AlarmTimer } from "cellmqtt/at/port";
import type { Fault } from "./faults.ts";
import type { VirtualModem } from "./modem.ts";
import type { Random } from "./random.ts";
import type { SimClock } from "./sim-clock.ts";

const URC_KINDS = ["+MQTTPUB", "+MQTTSUB", "+MQTTMSGI", "+MQTTMSG", "+MQTTBREAK", "+MQTTCLOSE", "+MQTTOPEN", "+MIPCALL", "RDY"];

interface Drawn {
  fault: Fault;
  /** Undone this long after, by these faults. */
  undo?: { afterMs: number; faults: Fault[] };
}

type Maker = (r: Random) => Drawn;

const MIN = 60_000;

/** Each fault with its weight: the conditions that end a connection are as common as the quiet ones. */
const MIX: [number, Maker][] = [
  [3, () => ({ fault: { name: "broker-drop", clientId: 1 } })],
  [3, () => ({ fault: { name: "broker-drop-silent", clientId: 1 } })],
  [2, (r) => ({ fault: { name: "radio-lost" }, undo: { afterMs: r.int(2_000, 60_000), faults: [{ name: "restore" }] } })],
  [2, (r) => ({ fault: { name: "deregistered" }, undo: { afterMs: r.int(2_000, 60_000), faults: [{ name: "restore" }] } })],
  [2, () => ({ fault: { name: "mipcall-lost" } })],
  [3, () => ({ fault: { name: "mipcall-lost-silent" } })],
  [2, () => ({ fault: { name: "reboot" } })],
  [2, () => ({ fault: { name: "reboot-silent" } })],
  [2, (r) => ({ fault: { name: "silence", seconds: r.int(1, 15) } })],
  [4, (r) => ({ fault: { name: "stall", seconds: r.int(1, 15) } })],
  [6, (r) => ({ fault: { name: "lose-urc", urc: URC_KINDS[r.int(0, URC_KINDS.length - 1)]! } })],
  [4, (r) => ({ fault: { name: "dup-urc", urc: URC_KINDS[r.int(0, URC_KINDS.length - 1)]! } })],
  [3, (r) => ({ fault: { name: "late-prompt", ms: r.int(500, 15_000) } })],
  [
    1,
    (r) => ({
      fault: { name: "mqtt-needs-data-call", on: true },
      undo: { afterMs: r.int(1, 30) * MIN, faults: [{ name: "mqtt-needs-data-call", on: false }] },
    }),
  ],
  [2, (r) => ({ fault: { name: "oversized", bytes: r.int(5_121, 9_000) } })],
  [2, (r) => ({ fault: { name: "garbage", bytes: r.int(1, 64) } })],
  [1, (r) => ({ fault: { name: "split-writes", on: true }, undo: { afterMs: r.int(1, 10) * MIN, faults: [{ name: "split-writes", on: false }] } })],
  [1, (r) => ({ fault: { name: "slow-line", baud: 9600 }, undo: { afterMs: r.int(1, 10) * MIN, faults: [{ name: "slow-line", baud: 0 }] } })],
];

const TOTAL = MIX.reduce((n, [w]) => n + w, 0);

function draw(r: Random): Drawn {
  let pick = r.int(0, TOTAL - 1);
  for (const [weight, make] of MIX) {
    if (pick < weight) return make(r);
    pick -= weight;
  }
  throw new Error("unreachable");
}

/** A fault's name for the tally: URC faults by kind too. */
export function faultLabel(f: Fault): string {
  return f.name === "lose-urc" || f.name === "dup-urc" ? `${f.name} ${f.urc}` : f.name;
}

export class FaultStorm {
  private readonly timer: AlarmTimer;
  private readonly undos: { at: number; faults: Fault[] }[] = [];
  private readonly undoTimer: AlarmTimer;
  private until = 0;

  constructor(
    private readonly vm: VirtualModem,
    private readonly clock: SimClock,
    private readonly random: Random,
    private readonly gapMs: readonly [number, number],
    private readonly onFault: (label: string) => void,
  ) {
    this.timer = clock.timer(() => this.next());
    this.undoTimer = clock.timer(() => this.runUndos());
  }

  /** First fault after `firstMs`; none at or after `untilMs`, when every condition is undone. */
  start(firstMs: number, untilMs: number): void {
    this.until = untilMs;
    this.timer.schedule(firstMs);
  }

  private next(): void {
    if (this.clock.now() >= this.until) {
      this.undoAll();
      return;
    }
    const drawn = draw(this.random);
    this.vm.inject(drawn.fault);
    this.onFault(faultLabel(drawn.fault));
    if (drawn.undo) {
      this.undos.push({ at: this.clock.now() + drawn.undo.afterMs, faults: drawn.undo.faults });
      this.armUndo();
    }
    this.timer.schedule(this.random.int(this.gapMs[0], this.gapMs[1]));
  }

  private armUndo(): void {
    const first = Math.min(...this.undos.map((u) => u.at));
    if (Number.isFinite(first)) this.undoTimer.schedule(first - this.clock.now());
  }

  private runUndos(): void {
    const now = this.clock.now();
    for (let i = this.undos.length - 1; i >= 0; i--) {
      if (this.undos[i]!.at > now) continue;
      for (const f of this.undos[i]!.faults) this.vm.inject(f);
      this.undos.splice(i, 1);
    }
    this.armUndo();
  }

  private undoAll(): void {
    for (const u of this.undos.splice(0)) for (const f of u.faults) this.vm.inject(f);
    this.undoTimer.cancel();
  }
}
