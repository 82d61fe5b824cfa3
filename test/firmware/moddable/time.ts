import { world } from "./world.ts";

/** ESP32: xsmcSetInteger(modMilliseconds()): a uint32 count seen as an int32. */
const Time = {
  get ticks(): number {
    return ((world.bootOffset + world.ms) >>> 0) | 0;
  },
};
export default Time;
