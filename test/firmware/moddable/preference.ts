/**
 * `preference` on the ESP32 (modules/files/preference/esp32/modPreference.c over NVS): domain
 * (an NVS namespace) and key at most 15 characters, strings at most 4000 bytes with their NUL,
 * integers as int32, no floats. Refusals throw as the driver does; `get` of what NVS cannot
 * hold finds nothing.
 */
const NAME_MAX = 15;
const STRING_MAX = 4000;

type Value = string | number | boolean | ArrayBuffer;

const store = new Map<string, Value>();

function checkedName(domain: string, key: string): string | null {
  if (domain.length > NAME_MAX || key.length > NAME_MAX) return null;
  return `${domain}\u0000${key}`;
}

const Preference = {
  set(domain: string, key: string, value: Value): void {
    if (domain.length > NAME_MAX) throw new Error("nvs_open fail");
    const name = checkedName(domain, key);
    if (name === null) throw new Error("nvs set fail");
    if (typeof value === "number") {
      if (value !== (value | 0)) throw new Error("float unsupported");
    } else if (typeof value === "string") {
      if (new TextEncoder().encode(value).length + 1 > STRING_MAX) throw new Error("nvs set fail");
    } else if (typeof value !== "boolean" && !(value instanceof ArrayBuffer)) throw new Error("unsupported type");
    store.set(name, value instanceof ArrayBuffer ? value.slice(0) : value);
  },
  get(domain: string, key: string): Value | undefined {
    const name = checkedName(domain, key);
    return name === null ? undefined : store.get(name);
  },
  delete(domain: string, key: string): void {
    const name = checkedName(domain, key);
    if (name !== null) store.delete(name);
  },
  keys(domain: string): string[] {
    const prefix = `${domain}\u0000`;
    return [...store.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  },
  /** Test control: a fresh flash. */
  erase(): void {
    store.clear();
  },
};
export default Preference;
