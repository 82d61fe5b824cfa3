import { codeAt } from "cellmqtt/at/bytes";

/**
 * One session's subscriptions: the topics it wants (restored on every connection), the
 * unsubscribes it still owes, and, per direction, the topics whose command is in flight and
 * those whose `OK` came and whose `+MQTTSUB`/`+MQTTUNSUB` status is due. The modem reports
 * statuses in order, so each list is a FIFO.
 */
export class Subscriptions {
  private readonly topics: string[] = [];
  private readonly qos: number[] = [];
  /** Whether the current connection has sent (or given up on) each topic's subscribe. */
  private readonly sent: boolean[] = [];
  private readonly unsubscribes: string[] = [];
  private readonly subSending: string[] = [];
  private readonly subAwaiting: string[] = [];
  private readonly unsubSending: string[] = [];
  private readonly unsubAwaiting: string[] = [];

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

  /** Index of the next topic this connection has not subscribed yet, or -1. */
  nextSubscribe(): number {
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
    if (sending) this.subSending.push(this.topics[k]!);
    else this.subSending.pop();
  }

  /** The next unsubscribe owed, taken off the list; null when none. */
  takeUnsubscribe(): string | null {
    const topic = this.unsubscribes.shift();
    if (topic === undefined) return null;
    this.unsubSending.push(topic);
    return topic;
  }

  /** The unsubscribe taken last could not be queued: it goes back to the front. */
  untakeUnsubscribe(): void {
    const topic = this.unsubSending.pop();
    if (topic !== undefined) this.unsubscribes.unshift(topic);
  }

  get owesUnsubscribe(): boolean {
    return this.unsubscribes.length > 0;
  }

  /** `AT+MQTTSUB` finished; returns its topic (now awaiting its status if `ok`). */
  subscribeDone(ok: boolean): string | undefined {
    const topic = this.subSending.shift();
    if (topic !== undefined && ok) this.subAwaiting.push(topic);
    return topic;
  }

  /** `+MQTTSUB: <id>,<status>`; returns its topic. A refused one is not retried this connection. */
  subscribeStatus(ok: boolean): string | undefined {
    const topic = this.subAwaiting.shift();
    if (topic !== undefined && !ok) {
      const k = this.topics.indexOf(topic);
      if (k >= 0) this.sent[k] = true;
    }
    return topic;
  }

  unsubscribeDone(ok: boolean): string | undefined {
    const topic = this.unsubSending.shift();
    if (topic !== undefined && ok) this.unsubAwaiting.push(topic);
    return topic;
  }

  unsubscribeStatus(): string | undefined {
    return this.unsubAwaiting.shift();
  }

  /** A new connection: every wanted topic is to be subscribed again. */
  connected(): void {
    for (let k = 0; k < this.sent.length; k++) this.sent[k] = false;
  }

  /** The connection ended: nothing is in flight; unconfirmed unsubscribes are owed again. */
  disconnected(): void {
    this.subSending.length = 0;
    this.subAwaiting.length = 0;
    this.owe(this.unsubAwaiting);
    this.owe(this.unsubSending);
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

  private owe(list: string[]): void {
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!;
      if (this.topics.indexOf(t) < 0 && this.unsubscribes.indexOf(t) < 0) this.unsubscribes.push(t);
    }
    list.length = 0;
  }
}
