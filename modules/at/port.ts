/**
 * The engine's only contact with the outside world. A host binding (ESP32 serial, simulator
 * serial, Node stream, test mock) implements these; the engine imports nothing platform-specific.
 */

/** The UART's transmit side. */
export interface TxPort {
  /**
   * Writes `length` bytes of `bytes` starting at `offset`. The engine never passes more than the
   * budget last granted through `AtEngine.writable(count)`, because the ESP32 driver throws
   * rather than writing partially.
   */
  write(bytes: Uint8Array, offset: number, length: number): void;
}

/** One reusable timer, made once at start-up and rescheduled, never re-created. */
export interface AlarmTimer {
  /** (Re)arms the timer to fire once after `ms` milliseconds. */
  schedule(ms: number): void;
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Called at start-up only: makes a timer that calls `fire` when due. */
  timer(fire: () => void): AlarmTimer;
}
