/**
 * `preference` as the Moddable SDK 8.2 implements it (modules/files/preference). On ESP32 it is
 * NVS: domain and key at most 15 characters, a value at most 4000 bytes, no floats.
 */
declare module "preference" {
  export type PreferenceValue = string | number | boolean | ArrayBuffer;
  const Preference: {
    set(domain: string, key: string, value: PreferenceValue): void;
    get(domain: string, key: string): PreferenceValue | undefined;
    delete(domain: string, key: string): void;
    keys(domain: string): string[];
  };
  export default Preference;
}
