/**
 * `embedded:io/serial` as the Moddable SDK 8.2 implements it (modules/io/serial/<platform>/serial.c).
 * The ESP32 driver and the desktop (lin/mac/win) driver take different options and behave
 * differently; the constructor's overloads return the matching instance type.
 */
declare module "embedded:io/serial" {
  /** What the ESP32 driver reads into and writes from: the bytes of the view's own window. */
  type ByteView = ArrayBuffer | Uint8Array | Int8Array | Uint8ClampedArray | DataView;

  /** ESP32: a UART with no software buffers, driven straight from the hardware FIFOs. */
  export interface Esp32SerialOptions<F extends "buffer" | "number" = "buffer" | "number"> {
    /** UART number, 0 (the default) to 2. Debug builds give UART0 to xsbug: use 1 or 2. */
    port?: number;
    /** GPIO of the UART's RX line. At least one of `receive` and `transmit` is required. */
    receive?: number;
    /** GPIO of the UART's TX line. */
    transmit?: number;
    /** Required; 8 data bits, no parity, 1 stop bit, no flow control. */
    baud: number;
    /** "buffer" (the default) moves ArrayBuffers and views; "number" moves one byte per call. */
    format?: F;
    target?: unknown;
    /** Bytes wait in the 128-byte RX FIFO: drain them now, nothing buffers them. */
    onReadable?: (this: Esp32Serial<F>, count: number) => void;
    /** `count` bytes of TX FIFO are free: a single `write()` may send at most that many. */
    onWritable?: (this: Esp32Serial<F>, count: number) => void;
  }

  export interface Esp32Serial<F extends "buffer" | "number" = "buffer"> {
    /**
     * No argument: everything in the RX FIFO, as a new ArrayBuffer ("buffer" format) or one
     * byte ("number" format). A number: at most that many bytes, as a new ArrayBuffer. A buffer:
     * fills it from its start without allocating and returns the count. `undefined` when the
     * FIFO is empty (never 0).
     */
    read(): (F extends "number" ? number : ArrayBuffer) | undefined;
    read(byteLength: number): ArrayBuffer | undefined;
    read(buffer: ByteView): number | undefined;
    /**
     * Writes all of `data` into the TX FIFO or throws "output full" when it does not fit:
     * never a partial write. Stay within the last `onWritable(count)`.
     */
    write(data: F extends "number" ? number : ByteView): void;
    get format(): F;
    set format(value: "buffer" | "number");
    readonly target?: unknown;
    close(): void;
  }

  /** lin, mac, win (the desktop simulator): a serial device node such as a pty or /dev/ttyUSB0. */
  export interface DesktopSerialOptions {
    /** Path of the device ("/dev/pts/3", "/dev/ttyUSB0"; "COM3" on Windows). Required. */
    device: string;
    baud: number;
    /** "buffer" (the default); lin and win also take "string;ascii". */
    format?: "buffer" | "string;ascii";
    target?: unknown;
    onReadable?: (this: DesktopSerial, count: number) => void;
    /** Called with 1024 when a write may be issued: after start-up and after each write drained. */
    onWritable?: (this: DesktopSerial, count: number) => void;
    /** The device failed (unplugged, the pty closed); the port is closed after this returns. */
    onError?: (this: DesktopSerial) => void;
  }

  export interface DesktopSerial {
    /** A new ArrayBuffer with the bytes available (at most `byteLength`); `undefined` when none. */
    read(byteLength?: number): ArrayBuffer | undefined;
    /**
     * Writes an ArrayBuffer (lin and win take no views) of at most 1024 bytes. Throws
     * "would overflow" when it is longer or when an earlier write is still pending; the pending
     * bytes drain before the next `onWritable`.
     */
    write(data: ArrayBuffer): void;
    /** Modem control lines. */
    set(lines: { RTS?: boolean; DTR?: boolean }): void;
    purge(): void;
    format: "buffer" | "string;ascii";
    readonly target?: unknown;
    close(): void;
  }

  interface SerialConstructor {
    new (options: Esp32SerialOptions<"number"> & { format: "number" }): Esp32Serial<"number">;
    new (options: Esp32SerialOptions<"buffer">): Esp32Serial<"buffer">;
    new (options: DesktopSerialOptions): DesktopSerial;
  }

  type Serial = Esp32Serial<"buffer"> | Esp32Serial<"number"> | DesktopSerial;
  const Serial: SerialConstructor;
  export default Serial;
}
