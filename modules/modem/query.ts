import type { AtEngine, CommandOwner } from "cellmqtt/at/engine";
import { RESULT_OK, resultName } from "cellmqtt/at/results";
import * as cmd from "./commands.ts";

/** The query forms (`AT+MQTTxxx?`) a device may ask, for diagnostics and settings checks. */
export type QueryName = "USER" | "OPEN" | "CLOSE" | "CONF" | "WILL";

/** What a query answered: its lines' bodies (after `+MQTTxxx: `), or why it failed. */
export interface QueryAnswer {
  ok: boolean;
  lines: string[];
  error: string;
}

/**
 * Runs one query form and collects its answer lines. `+MQTTOPEN: 1,1` or `+MQTTCLOSE: 2,1`
 * arriving meanwhile are asynchronous results, not answers (a query lists ids: `1`, `2`, `1,2`
 * or `0`), so they go on to the unsolicited handlers. Diagnostics: the strings allocate.
 */
export class Query implements CommandOwner {
  private readonly lines: string[] = [];

  constructor(
    private readonly engine: AtEngine,
    private readonly name: QueryName,
    private readonly done: (answer: QueryAnswer) => void,
  ) {}

  /** Queues the query; false (and `done` with the reason) if the command queue is full. */
  start(timeoutMs = 5000): boolean {
    const e = this.engine.command(this, 0, this.engine.token(`+MQTT${this.name}`), timeoutMs);
    if (e === null) {
      this.done({ ok: false, lines: [], error: "command queue full" });
      return false;
    }
    cmd.queryForm(e, this.name);
    return this.engine.send();
  }

  onResponse(_tag: number, _key: number, bytes: Uint8Array, body: number, end: number): boolean {
    const f = this.engine.fields;
    f.parse(bytes, body, end);
    const status = f.count === 2 && (f.int(1) === 0 || f.int(1) === 1);
    if (status && (this.name === "OPEN" || this.name === "CLOSE")) return false;
    let line = "";
    for (let i = body; i < end; i++) line += String.fromCharCode(bytes[i]!);
    this.lines.push(line);
    return true;
  }

  onFinal(_tag: number, result: number, code: number): void {
    const ok = result === RESULT_OK;
    this.done({ ok, lines: this.lines, error: ok ? "" : `${resultName(result)}${code >= 0 ? ` ${code}` : ""}` });
  }
}
