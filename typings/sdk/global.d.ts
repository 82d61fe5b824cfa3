/**
 * Globals the XS runtime of the Moddable SDK provides, for type-checking firmware code outside
 * mcconfig (tsconfig.firmware.json). mcconfig builds use the SDK's own xs.d.ts instead.
 */
interface XsTrace {
  (...values: (string | number | boolean)[]): void;
  left(value: string | ArrayBufferLike, conversation?: string): void;
  right(value: string | ArrayBufferLike, conversation?: string): void;
  center(value: string | ArrayBufferLike, conversation?: string): void;
}
/** Writes to xsbug (or the console of the simulator); nothing adds a newline. */
declare const trace: XsTrace;

/**
 * As in the SDK's xs.d.ts: a host buffer (memory a native module lends to JS) is an
 * ArrayBufferLike without ArrayBuffer's methods, so code must not call `slice` on an
 * `ArrayBufferLike` it did not make. Declared here so the firmware type-check catches it.
 */
declare class HostBuffer {
  readonly byteLength: number;
  private brand: boolean;
}
interface ArrayBufferTypes {
  HostBuffer: HostBuffer;
}
