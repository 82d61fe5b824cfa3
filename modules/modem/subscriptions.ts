import { codeAt } from "cellmqtt/at/bytes";

/** Where the one subscribe (or unsubscribe) of a direction stands. */
export const SUB_NONE = 0;
/** Its command is queued or on the wire. */
export const SUB_SENDING = 1;
/** Its command got `OK`; its `+MQTTSUB`/`+MQTTUNSUB` status is due. */
export const SUB_AWAITING = 2;

/**
 * One session's subscriptions: the topics it wants (restored on every connection), the
 * unsubscribes it still owes, and, per direction, the one topic whose command is in flight or
 * whose status is due. `+MQTTSUB: <id>,<status>` names no topic, so at most one subscribe (and
 * one unsubscribe) is ever outstanding: a status can only be the one awaited, and one that
 * nothing awaits is ignored instead of shifting every later match.
 */
export class Subscriptions {
  private readonly topics: string[] = [];
  private readonly qos: number[] = [];
  /** Whether the current connection has sent (or given up on) each topic's subscribe. */
  private readonly sent: boolean[] = [];
  private readonly unsubscribes: string[] = [];
  /** The subscribe outstanding, and where it stands (SUB_*). */
  subTopic: string | null = null;
  subPhase = SUB_NONE;
  unsubTopic: string | null = null;
  unsubPhase = SUB_NONE;

  /** The topics subscribed to (or to be, on the next connection). */
  get wanted(): readonly string[] {
    return this.topics;
  }

  add(topic: string, qos: number): void {
    const k = this.topics.indexOf(topic);
    if (k >= 0) {
      this.qos[k] = qos;
      this.sent[k] = false;
    } else {
      this.topics.push(topic);
      this.qos.push(qos);
      this.sent.push(false);
    }
    const u = this.unsubscribes.indexOf(topic);
    if (u >= 0) this.unsubscribes.splice(u, 1);
  }

  remove(topic: string): void {
    const k = this.topics.indexOf(topic);
    if (k >= 0) {
      this.topics.splice(k, 1);
      this.qos.splice(k, 1);
      this.sent.splice(k, 1);
    }
    if (this.unsubscribes.indexOf(topic) < 0) this.unsubscribes.push(topic);
  }

  /** Index of the next topic this connection has not subscribed yet, or -1 (also while one is outstanding). */
  nextSubscribe(): number {
    if (this.subPhase !== SUB_NONE) return -1;
    for (let k = 0; k < this.sent.length; k++) if (!this.sent[k]) return k;
    return -1;
  }

  topic(k: number): string {
    return this.topics[k]!;
  }

  qosOf(k: number): number {
    return this.qos[k]!;
  }

  /** The subscribe of topic `k` is being sent (or, with `sending` false, could not be queued). */
  subscribing(k: number, sending: boolean): void {
    this.sent[k] = sending;
    this.subTopic = sending ? this.topics[k]! : null;
    this.subPhase = sending ? SUB_SENDING : SUB_NONE;
  }

  /** The next unsubscribe owed, taken off the list; null when none or one is outstanding. */
  takeUnsubscribe(): string | null {
    if (this.unsubPhase !== SUB_NONE) return null;
    const topic = this.unsubscribes.shift();
    if (topic === undefined) return null;
    this.unsubTopic = topic;
    this.unsubPhase = SUB_SENDING;
    return topic;
  }

  /** The unsubscribe taken last could not be queued: it goes back to the front. */
  untakeUnsubscribe(): void {
    const topic = this.unsubTopic;
    this.unsubTopic = null;
    this.unsubPhase = SUB_NONE;
    if (topic !== null) this.unsubscribes.unshift(topic);
  }

  get owesUnsubscribe(): boolean {
    return this.unsubPhase === SUB_NONE && this.unsubscribes.length > 0;
  }

  /** `AT+MQTTSUB` finished: `ok` awaits its status; a failure is to be tried again. Returns its topic. */
  subscribeDone(ok: boolean): string | null {
    const topic = this.subPhase === SUB_SENDING ? this.subTopic : null;
    if (topic === null) return null;
    if (ok) this.subPhase = SUB_AWAITING;
    else this.subscribeFailed();
    return topic;
  }

  /**
   * `+MQTTSUB: <id>,<status>`: the topic it answers, or null if no subscribe awaits a status. A
   * refused one is not tried again this connection (the broker said no).
   */
  subscribeStatus(): string | null {
    // A status while the command still waits for its `OK` is not its own: left alone.
    if (this.subPhase !== SUB_AWAITING) return null;
    const topic = this.subTopic;
    this.subTopic = null;
    this.subPhase = SUB_NONE;
    return topic;
  }

  /** The outstanding subscribe failed (ERROR, or no status in time): its topic is owed again. */
  subscribeFailed(): string | null {
    const topic = this.subTopic;
    this.subTopic = null;
    this.subPhase = SUB_NONE;
    if (topic !== null) {
      const k = this.topics.indexOf(topic);
      if (k >= 0) this.sent[k] = false;
    }
    return topic;
  }

  unsubscribeDone(ok: boolean): string | null {
    const topic = this.unsubPhase === SUB_SENDING ? this.unsubTopic : null;
    if (topic === null) return null;
    if (ok) this.unsubPhase = SUB_AWAITING;
    else this.unsubscribeFailed();
    return topic;
  }

  /** `+MQTTUNSUB: <id>,<status>`: the topic it answers, or null if no unsubscribe awaits one. */
  unsubscribeStatus(): string | null {
    if (this.unsubPhase !== SUB_AWAITING) return null;
    const topic = this.unsubTopic;
    this.unsubTopic = null;
    this.unsubPhase = SUB_NONE;
    return topic;
  }

  /** The outstanding unsubscribe failed: it is owed again (unless subscribed anew meanwhile). */
  unsubscribeFailed(): string | null {
    const topic = this.unsubTopic;
    this.unsubTopic = null;
    this.unsubPhase = SUB_NONE;
    if (topic !== null && this.topics.indexOf(topic) < 0 && this.unsubscribes.indexOf(topic) < 0) this.unsubscribes.unshift(topic);
    return topic;
  }

  /** A new connection: every wanted topic is to be subscribed again. */
  connected(): void {
    for (let k = 0; k < this.sent.length; k++) this.sent[k] = false;
  }

  /** The connection ended: nothing is in flight; an unconfirmed unsubscribe is owed again. */
  disconnected(): void {
    this.subTopic = null;
    this.subPhase = SUB_NONE;
    this.unsubscribeFailed();
  }

  /**
   * The subscription string equal to bytes [start, end), so an exact-topic message reuses it
   * instead of making a string; null when none matches (a wildcard subscription's topic).
   * Allocates nothing.
   */
  intern(bytes: Uint8Array, start: number, end: number): string | null {
    const topics = this.topics;
    const n = end - start;
    for (let k = 0; k < topics.length; k++) {
      const t = topics[k]!;
      let i = 0;
      while (i < n && codeAt(t, i) === bytes[start + i]) i++;
      if (i === n && codeAt(t, n) !== codeAt(t, n)) return t; // NaN past the end: same length
    }
    return null;
  }
}
