/** `embedded:io/digital` as the Moddable SDK 8.2 implements it (modules/io/digital). */
declare module "embedded:io/digital" {
  export interface DigitalOptions {
    /** GPIO number. */
    pin: number;
    /** One of the static mode constants. */
    mode: number;
    /** Inverts `read()` and `write()`. */
    activeLow?: boolean;
    /** Level driven as soon as an output is configured. */
    initialValue?: 0 | 1;
    /** `Digital.Rising`, `Digital.Falling` or both (or-ed), with `onReadable`. */
    edge?: number;
    onReadable?: (this: Digital) => void;
    format?: "number";
    target?: unknown;
  }

  class Digital {
    static readonly Input: 0;
    static readonly InputPullUp: 1;
    static readonly InputPullDown: 2;
    static readonly InputPullUpDown: 3;
    static readonly Output: 8;
    static readonly OutputOpenDrain: 9;
    static readonly Rising: 1;
    static readonly Falling: 2;
    constructor(options: DigitalOptions);
    read(): 0 | 1;
    write(value: 0 | 1 | boolean): void;
    readonly target?: unknown;
    close(): void;
  }
  export default Digital;
}
