import { world } from "./world.ts";

export default class Digital {
  static readonly Output = 8;
  private readonly pin: number;
  constructor(options: { pin: number; mode: number; initialValue?: 0 | 1 }) {
    this.pin = options.pin;
    world.pins.set(this.pin, [options.initialValue ?? 0]);
  }
  write(value: number | boolean): void {
    world.pins.get(this.pin)!.push(Number(value) ? 1 : 0);
  }
  read(): number {
    return world.pins.get(this.pin)!.at(-1)!;
  }
  close(): void {}
}
