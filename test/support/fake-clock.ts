/** A clock whose time moves only when a test says so: the simulated clock the soak runs on. */
export { SimClock as FakeClock } from "../../hosts/emulator/sim-clock.ts";
