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
