/**
 * `mc/config`: the manifest's `config` object, merged over the board's and overridden by
 * `mcconfig ... key=value` (values given on the command line arrive as strings). Frozen.
 */
declare module "mc/config" {
  const config: Readonly<Record<string, unknown>>;
  export default config;
}
