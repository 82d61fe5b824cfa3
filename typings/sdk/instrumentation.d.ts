/**
 * `instrumentation` as the Moddable SDK 8.2 implements it (modules/base/instrumentation): only in
 * builds whose manifest includes it (this project's: debug builds). `map(name)` gives the index
 * for `get(index)`, or undefined when the build does not count that figure.
 */
declare module "instrumentation" {
  export type InstrumentationName =
    | "Pixels Drawn"
    | "Frames Drawn"
    | "Network Bytes Read"
    | "Network Bytes Written"
    | "Network Sockets"
    | "Timers"
    | "Files"
    | "Poco Display List Used"
    | "Piu Command List Used"
    | "SPI Flash Erases"
    | "Turns"
    | "System Free Memory"
    | "CPU 0"
    | "CPU 1"
    | "XS Slot Heap Used"
    | "XS Chunk Heap Used"
    | "XS Keys Used"
    | "XS Garbage Collection Count"
    | "XS Modules Loaded"
    | "XS Stack Used"
    | "XS Promises Settled";
  const Instrumentation: {
    map(name: InstrumentationName): number | undefined;
    get(index: number): number | undefined;
    name(index: number): string | undefined;
  };
  export default Instrumentation;
}
