/**
 * The `cellmqtt` command line: its commands, their flags (one table each, which both parses and
 * prints the help) and the checks across flags. Everything is refused here, before the CLI
 * starts anything; settings are checked with the library's own validators.
 */
import { APN_MAX, CLIENT_ID_STRING_MAX, HOST_MAX, KEEPALIVE_MAX, KEEPALIVE_MIN, PASSWORD_MAX, PORT_MAX, PORT_MIN, TOPIC_MAX, TOPIC_MIN, USERNAME_MAX } from "cellmqtt/modem/limits";
import { checkQuotable, checkTopicFilter, checkTopicName } from "cellmqtt/modem/validate";
import { DEFAULT_SETTINGS, INTERVAL_MAX, INTERVAL_MIN, type AppSettings } from "../../src/settings.ts";
import { UsageError, brokerUrl, checked, flag, flagHelp, integer, parseFlags, parseValue, positive, printable, toggle, type FlagTable, type FlagValues } from "../cli-flags.ts";

const PROGRAM = "cellmqtt";
/** The password may come from the environment instead of the command line (where `ps` shows it). */
export const PASSWORD_ENV = "CELLMQTT_PASSWORD";

const QUOTABLE = 'printable ASCII other than "';
const quotable = (min: number, max: number) => checked((f, v) => checkQuotable(f, v, min, max), `${min} to ${max} characters, ${QUOTABLE}`);
const topicName = checked((f, v) => checkTopicName(f, v, TOPIC_MIN, TOPIC_MAX), `${TOPIC_MIN} to ${TOPIC_MAX} characters, ${QUOTABLE}, + or #`);
const topicFilter = checked((f, v) => checkTopicFilter(f, v, TOPIC_MIN, TOPIC_MAX), `${TOPIC_MIN} to ${TOPIC_MAX} characters, ${QUOTABLE}; + and # as whole levels`);

/** Flags that set an application setting, and which. */
const SETTING_OF = {
  host: "mqttHost",
  port: "mqttPort",
  "client-id": "mqttClientId",
  username: "mqttUser",
  password: "mqttPassword",
  keepalive: "mqttKeepalive",
  tls: "mqttTls",
  apn: "apn",
  telemetry: "topicTelemetry",
  commands: "topicCommands",
  responses: "topicResponses",
  interval: "telemetryInterval",
} as const satisfies Record<string, keyof AppSettings>;

/** The settings `demo` starts from (its embedded broker's host and port come on top). */
const DEMO_SETTINGS: AppSettings = {
  ...DEFAULT_SETTINGS,
  mqttClientId: "cellmqtt-demo",
  topicTelemetry: "demo/telemetry",
  topicCommands: "demo/commands",
  topicResponses: "demo/responses",
  telemetryInterval: 2000,
};
const DEMO_DURATION_S = 20;

function appFlags(d: AppSettings) {
  return {
    "client-id": flag("ID", 'MQTT client id; "" lets the modem use its IMEI', quotable(0, CLIENT_ID_STRING_MAX), JSON.stringify(d.mqttClientId)),
    username: flag("USER", "MQTT user name", quotable(0, USERNAME_MAX)),
    password: flag("PASS", `MQTT password; needs --username (or set ${PASSWORD_ENV})`, quotable(0, PASSWORD_MAX)),
    apn: flag("APN", "APN of the data call (default: the modem's own)", quotable(0, APN_MAX)),
    telemetry: flag("TOPIC", "where telemetry goes", topicName, d.topicTelemetry),
    commands: flag("FILTER", "commands to the device", topicFilter, d.topicCommands),
    responses: flag("TOPIC", "replies and the online/offline status", topicName, d.topicResponses),
    interval: flag("MS", `ms between telemetry messages, ${INTERVAL_MIN} to ${INTERVAL_MAX}`, integer(INTERVAL_MIN, INTERVAL_MAX, " ms"), String(d.telemetryInterval)),
  };
}

const OUTPUT = {
  trace: toggle("print every byte to and from the modem, escaped (the AT conversation)"),
  json: toggle("one JSON object per line"),
  verbose: toggle("also the quiet lines (the engine's harmless notices)"),
  help: toggle("this help"),
};

export const DEMO = {
  broker: flag("URL", "use this broker instead of an embedded one (mqtt://host:port)", brokerUrl),
  baud: flag("N", "the emulated line's speed, 0 for unpaced", integer(0, 4_000_000), "115200"),
  duration: flag("S", "seconds before a clean stop", positive(31 * 86_400, " s"), String(DEMO_DURATION_S)),
  ...appFlags(DEMO_SETTINGS),
  ...OUTPUT,
} satisfies FlagTable;

export const RUN = {
  device: flag("PATH", "the modem: a serial device (/dev/ttyUSB2) or tcp:HOST:PORT (the emulator); required", devicePath),
  baud: flag("N", "serial speed", integer(300, 4_000_000), "115200"),
  host: flag("HOST", "the MQTT broker the modem connects to; required", quotable(1, HOST_MAX)),
  port: flag("N", `broker port, ${PORT_MIN} to ${PORT_MAX}`, integer(PORT_MIN, PORT_MAX), String(DEFAULT_SETTINGS.mqttPort)),
  keepalive: flag("S", `MQTT keepalive, ${KEEPALIVE_MIN} to ${KEEPALIVE_MAX} s`, integer(KEEPALIVE_MIN, KEEPALIVE_MAX, " s"), String(DEFAULT_SETTINGS.mqttKeepalive)),
  tls: flag("N", "sixth AT+MQTTOPEN argument, on firmware that takes one (0 to 9)", integer(0, 9), "none"),
  ...appFlags(DEFAULT_SETTINGS),
  duration: flag("S", "seconds before a clean stop", positive(31 * 86_400, " s"), "run until Ctrl-C"),
  "exit-on-loss": toggle("exit (status 1) when the modem's byte stream closes, instead of reopening it"),
  ...OUTPUT,
} satisfies FlagTable;

function devicePath(text: string, flag: string): string {
  if (text.startsWith("tcp:")) {
    const m = /^tcp:(?:\/\/)?([^:/]+):(\d+)$/.exec(text);
    const port = m ? Number(m[2]) : 0;
    if (!m || !(port >= 1 && port <= 65535)) throw new UsageError(`${flag}: must be tcp:HOST:PORT with a port from 1 to 65535, or a device path`);
    return text;
  }
  if (text === "") throw new UsageError(`${flag}: must be a device path or tcp:HOST:PORT, got ""`);
  return text;
}

export interface DemoInvocation {
  command: "demo";
  settings: AppSettings;
  /** An external broker; absent for the embedded one. */
  broker: string | undefined;
  baud: number;
  durationS: number;
  json: boolean;
  verbose: boolean;
  trace: boolean;
}

export interface RunInvocation {
  command: "run";
  settings: AppSettings;
  device: string;
  baud: number;
  durationS: number | undefined;
  exitOnLoss: boolean;
  json: boolean;
  verbose: boolean;
  trace: boolean;
}

export type Invocation = DemoInvocation | RunInvocation | { command: "help" };

const COMMANDS = { demo: DEMO, run: RUN } as const;

/** The command line (without `node` and the script) as an invocation; throws UsageError. */
export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Invocation {
  const named = argv.length > 0 && !argv[0]!.startsWith("-");
  const name = named ? argv[0]! : "demo";
  if (!Object.hasOwn(COMMANDS, name)) {
    throw new UsageError(`unknown command "${printable(name)}": the commands are ${Object.keys(COMMANDS).join(", ")} (${PROGRAM} --help)`);
  }
  const command = name as keyof typeof COMMANDS;
  const { positionals, values } = parseFlags(named ? argv.slice(1) : argv, COMMANDS[command], PROGRAM);
  if (values.help) return { command: "help" };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${printable(positionals[0]!)}" (${PROGRAM} --help)`);

  const given: Partial<Record<keyof AppSettings, string | number>> = {};
  for (const [key, setting] of Object.entries(SETTING_OF)) {
    const v = (values as Record<string, unknown>)[key];
    if (v !== undefined) given[setting] = v as string | number;
  }
  const envPassword = env[PASSWORD_ENV];
  if (values.password === undefined && envPassword !== undefined && envPassword !== "") {
    given.mqttPassword = parseValue(COMMANDS[command].password, envPassword, PASSWORD_ENV);
  }
  if (given.mqttPassword !== undefined && !given.mqttUser) {
    const from = values.password === undefined ? PASSWORD_ENV : "--password";
    throw new UsageError(`${from} needs --username: the modem sends no password without a user name`);
  }

  const output = { json: values.json === true, verbose: values.verbose === true, trace: values.trace === true };
  if (command === "demo") {
    const v = values as FlagValues<typeof DEMO>;
    return {
      command,
      settings: { ...DEMO_SETTINGS, ...given } as AppSettings,
      broker: v.broker,
      baud: v.baud ?? 115_200,
      durationS: v.duration ?? DEMO_DURATION_S,
      ...output,
    };
  }
  const v = values as FlagValues<typeof RUN>;
  if (v.device === undefined) throw new UsageError("run needs --device PATH (a serial device) or --device tcp:HOST:PORT (the emulator)");
  if (v.host === undefined) throw new UsageError("run needs --host HOST: the MQTT broker the modem connects to");
  return {
    command,
    settings: { ...DEFAULT_SETTINGS, ...given } as AppSettings,
    device: v.device,
    baud: v.baud ?? 115_200,
    durationS: v.duration,
    exitOnLoss: v["exit-on-loss"] === true,
    ...output,
  };
}

/** The help text, generated from the tables above. */
export function helpText(): string {
  return [
    `usage: ${PROGRAM} [demo] [flags]     the demo: embedded broker, modem emulator and the firmware app`,
    `       ${PROGRAM} run --device PATH|tcp:HOST:PORT --host HOST [flags]     the app against a modem`,
    "",
    "demo flags:",
    ...flagHelp(DEMO),
    "",
    "run flags:",
    ...flagHelp(RUN),
    "",
    `The password can also come from the environment: ${PASSWORD_ENV}.`,
    "A bad value stops the command with exit status 2 before anything starts.",
  ].join("\n");
}
