/** The modem's volatile state, and what a reboot keeps or loses. */
import type { BrokerLink } from "./broker-link.ts";

export interface QueuedMessage {
  qos: 0 | 1 | 2;
  topic: Buffer;
  payload: Buffer;
}

export interface WillSetting {
  topic: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  payload: Buffer;
}

export interface UserSetting {
  username: Buffer;
  password: Buffer;
  /** Absent: the broker sees the IMEI as client id. */
  clientId: Buffer | undefined;
}

export type SlotStatus = "idle" | "connecting" | "open" | "closing";

export interface ClientSlot {
  readonly id: 1 | 2;
  user: UserSetting | undefined;
  will: WillSetting | undefined;
  status: SlotStatus;
  link: BrokerLink | undefined;
  /** Mode-1 messages waiting for AT+MQTTREAD, oldest first. */
  queue: QueuedMessage[];
  /** Topic filters acknowledged on the current connection (the oversized fault picks one). */
  subscriptions: Buffer[];
  /** Where the last MQTTOPEN asked to go (the broker option may override it). */
  target: { host: string; port: number } | undefined;
}

export interface ModemState {
  echo: boolean;
  /** Network registration: false after a radio-lost or deregistered fault until restored. */
  registered: boolean;
  /** Unsolicited registration report setting of AT+CEREG=<n> / AT+CGREG=<n>. */
  ceregN: number;
  cgregN: number;
  dataCall: boolean;
  /** MQTTCONF mode: 0 = +MQTTMSG with content, 1 = +MQTTMSGI then AT+MQTTREAD. */
  msgMode: 0 | 1;
  slots: readonly [ClientSlot, ClientSlot];
}

function freshSlot(id: 1 | 2): ClientSlot {
  return { id, user: undefined, will: undefined, status: "idle", link: undefined, queue: [], subscriptions: [], target: undefined };
}

export function freshState(): ModemState {
  return {
    echo: true,
    registered: true,
    ceregN: 0,
    cgregN: 0,
    dataCall: false,
    msgMode: 0,
    slots: [freshSlot(1), freshSlot(2)],
  };
}

/** State after a reboot; the caller has already killed the links. */
export function rebootState(old: ModemState, persistSettings: boolean): ModemState {
  const next = freshState();
  if (persistSettings) {
    next.msgMode = old.msgMode;
    next.slots.forEach((slot, i) => {
      slot.user = old.slots[i]!.user;
      slot.will = old.slots[i]!.will;
    });
  }
  return next;
}

export function slotOf(state: ModemState, id: 1 | 2): ClientSlot {
  return state.slots[id - 1]!;
}
