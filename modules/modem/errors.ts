/** Why an MQTT operation or connection failed. `modemCode` is the modem's error number, if any. */
export type MqttErrorCode =
  | "UNACCEPTABLE_PROTOCOL" // 700
  | "IDENTIFIER_REJECTED" // 701
  | "SERVER_UNAVAILABLE" // 702
  | "BAD_USERNAME_OR_PASSWORD" // 703
  | "NOT_AUTHORIZED" // 704
  | "OPEN_FAILED"
  | "COMMAND_FAILED"
  | "TIMEOUT"
  | "QUEUE_FULL"
  | "PUBLISH_FAILED"
  | "SUBSCRIBE_FAILED"
  | "UNSUBSCRIBE_FAILED"
  | "CONNECTION_LOST"
  | "MODEM_RESTARTED"
  | "MODEM_SILENT"
  | "MESSAGE_TOO_LARGE"; // a received message beyond the buffers, skipped

/** The broker's CONNACK refusals, as the modem reports them (`ERROR: 700`..`704`). */
const REFUSALS: readonly [MqttErrorCode, string][] = [
  ["UNACCEPTABLE_PROTOCOL", "unacceptable protocol version"],
  ["IDENTIFIER_REJECTED", "identifier rejected"],
  ["SERVER_UNAVAILABLE", "server unavailable"],
  ["BAD_USERNAME_OR_PASSWORD", "bad user name or password"],
  ["NOT_AUTHORIZED", "not authorized"],
];

export class MqttError extends Error {
  constructor(
    readonly code: MqttErrorCode,
    message: string,
    readonly clientId: number,
    readonly modemCode = -1,
  ) {
    super(message);
  }

  // Moddable freezes the built-ins: `this.name = ...` would throw ("set name: not writable")
  // because Error.prototype holds a read-only `name`. Defining it here is allowed.
  static {
    Object.defineProperty(this.prototype, "name", { value: "MqttError", configurable: true, writable: true });
  }

  /** True for a broker refusal that retrying with the same settings will not fix. */
  get permanent(): boolean {
    return this.modemCode === 700 || this.modemCode === 701 || this.modemCode === 703 || this.modemCode === 704;
  }
}

/** True if `code` is one of the broker refusals 700-704. */
export function isRefusal(code: number): boolean {
  return code >= 700 && code <= 704;
}

export function refusalError(clientId: number, code: number): MqttError {
  const [name, text] = REFUSALS[code - 700]!;
  return new MqttError(name, `client ${clientId}: broker refused the connection: ${text} (ERROR: ${code})`, clientId, code);
}
