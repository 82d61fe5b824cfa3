/** Every command the modem knows, by upper-case name. */
import type { CommandSpec } from "./core.ts";
import { mqttConfigCommands } from "./mqtt-config-commands.ts";
import { mqttConnectionCommands } from "./mqtt-connection-commands.ts";
import { networkCommands } from "./network-commands.ts";

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  ...networkCommands,
  ...mqttConfigCommands,
  ...mqttConnectionCommands,
};
