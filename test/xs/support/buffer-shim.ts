/**
 * The little of Node's `Buffer` that the shared AT test fixtures use (latin1 text in, hex or
 * latin1 text out), so they run unchanged inside XS. Injected by the XS bundler for `Buffer`.
 */
class Bytes extends Uint8Array {
  override toString(encoding?: string): string {
    let s = "";
    if (encoding === "hex") {
      for (let i = 0; i < this.length; i++) s += (this[i]! < 16 ? "0" : "") + this[i]!.toString(16);
      return s;
    }
    if (encoding !== "latin1" && encoding !== "binary") throw new Error(`Buffer shim: encoding ${encoding}`);
    for (let i = 0; i < this.length; i++) s += String.fromCharCode(this[i]!);
    return s;
  }
}

const XsBuffer = {
  from(data: string | ArrayLike<number>, encoding?: string): Bytes {
    const out = new Bytes(data.length);
    if (typeof data !== "string") {
      for (let i = 0; i < data.length; i++) out[i] = data[i]!;
      return out;
    }
    if (encoding !== "latin1" && encoding !== "binary") throw new Error(`Buffer shim: encoding ${encoding}`);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
    return out;
  },
};

export { XsBuffer as Buffer };
