import { describe, expect, it } from "vitest";
import { UsageError } from "../../hosts/cli-flags.ts";
import { DEMO, PASSWORD_ENV, RUN, helpText, parseCommandLine, type RunInvocation } from "../../hosts/node/command-line.ts";

const RUN_BASE = ["run", "--device", "tcp:127.0.0.1:7000", "--host", "broker.example"];

function refusal(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as Error).message;
    expect(message).not.toMatch(/[\r\n]/);
    return message;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
}

describe("cellmqtt command line: every value checked before anything starts", () => {
  const cases: [string[], RegExp][] = [
    [[...RUN_BASE, "--port", "abc"], /^--port: must be an integer from 1 to 65535, got "abc"$/],
    [[...RUN_BASE, "--port", "0"], /^--port: must be an integer from 1 to 65535, got "0"$/],
    [[...RUN_BASE, "--port", "1883.5"], /^--port: .*1 to 65535/],
    [["demo", "--interval", "5"], /^--interval: must be an integer from 1000 to 86400000 ms, got "5"$/],
    [[...RUN_BASE, "--baud", "abc"], /^--baud: must be an integer from 300 to 4000000/],
    [["demo", "--duration", "abc"], /^--duration: must be a number above 0/],
    [["demo", "--duration", "0"], /^--duration: must be a number above 0/],
    [[...RUN_BASE, "--keepalive", "301"], /^--keepalive: must be an integer from 1 to 300 s/],
    [[...RUN_BASE, "--tls", "-1"], /^--tls: must be an integer from 0 to 9/],
    [[...RUN_BASE, "--telemetry", 'a"b'], /^--telemetry: character 1 \(0x22\) is a quote \(allowed: 1 to 255 characters/],
    [[...RUN_BASE, "--responses", "a\rb"], /^--responses: character 1 \(0x0d\) is not printable ASCII/],
    [[...RUN_BASE, "--telemetry", "a/+"], /^--telemetry: character 2 \(0x2b\) is a wildcard/],
    [[...RUN_BASE, "--commands", "a/#/b"], /^--commands: "#" must be the whole last level/],
    [[...RUN_BASE, "--commands", ""], /^--commands: length must be 1 to 255, got 0/],
    [[...RUN_BASE, "--client-id", "x".repeat(24)], /^--client-id: length must be 0 to 23, got 24/],
    [["run", "--device", "/dev/ttyUSB2", "--host", 'evil"\r\nAT+X'], /^--host: character 4 \(0x22\) is a quote/],
    [[...RUN_BASE, "--apn", "a".repeat(64)], /^--apn: length must be 0 to 63/],
    [[...RUN_BASE, "--username", "u", "--password", "p\u001a"], /^--password: character 1 \(0x1a\)/],
    [[...RUN_BASE, "--device", "tcp:host:99999"], /^--device given twice$/],
    [["run", "--device", "tcp:host:99999", "--host", "h"], /^--device: must be tcp:HOST:PORT with a port from 1 to 65535/],
    [["demo", "--broker", "http://example.com"], /^--broker: must be a broker URL/],
    [["demo", "--broker", "mqtt://"], /^--broker: must be a broker URL/],
    [["run", "--host", "h"], /^run needs --device/],
    [["run", "--device", "/dev/ttyUSB2"], /^run needs --host/],
    [["frobnicate"], /^unknown command "frobnicate": the commands are demo, run/],
    [["demo", "--frob"], /^unknown flag --frob /],
    [["demo", "--port", "1883"], /^unknown flag --port /],
    [["demo", "--json=yes"], /^--json takes no value$/],
    [["demo", "--interval"], /^--interval needs a value/],
    [["demo", "--interval", "--json"], /^--interval needs a value/],
    [["demo", "stray"], /^unexpected argument "stray"/],
    [[...RUN_BASE, "--password", "p"], /^--password needs --username/],
    [["demo", "--\u001b[31mx"], /^unknown flag --\\e\[31mx /],
  ];
  for (const [argv, expected] of cases) {
    it(`refuses ${JSON.stringify(argv)}`, () => {
      expect(refusal(argv)).toMatch(expected);
    });
  }

  it("takes good values, in both spellings, as the settings the app gets", () => {
    const inv = parseCommandLine([...RUN_BASE, "--port=8883", "--interval", "1000", "--client-id", "", "--username", "u", "--password", "p", "--telemetry", "t/1", "--commands", "c/#", "--tls", "2", "--exit-on-loss"]) as RunInvocation;
    expect(inv.command).toBe("run");
    expect(inv.exitOnLoss).toBe(true);
    expect(inv.settings).toMatchObject({ mqttHost: "broker.example", mqttPort: 8883, telemetryInterval: 1000, mqttClientId: "", mqttUser: "u", mqttPassword: "p", topicTelemetry: "t/1", topicCommands: "c/#", mqttTls: 2 });
  });

  it("demo is the default command and keeps its own defaults", () => {
    const inv = parseCommandLine(["--json"]);
    expect(inv).toMatchObject({ command: "demo", json: true, durationS: 20, settings: { topicTelemetry: "demo/telemetry", telemetryInterval: 2000 } });
  });

  it(`the password comes from ${PASSWORD_ENV} when --password is not given, and is checked the same way`, () => {
    const inv = parseCommandLine([...RUN_BASE, "--username", "u"], { [PASSWORD_ENV]: "s3cret" });
    expect(inv.command === "run" && inv.settings.mqttPassword).toBe("s3cret");
    expect(refusal(RUN_BASE, { [PASSWORD_ENV]: "s3cret" })).toMatch(new RegExp(`^${PASSWORD_ENV} needs --username`));
    expect(refusal([...RUN_BASE, "--username", "u"], { [PASSWORD_ENV]: 'a"b' })).toMatch(new RegExp(`^${PASSWORD_ENV}: character 1 \\(0x22\\) is a quote`));
    const flagWins = parseCommandLine([...RUN_BASE, "--username", "u", "--password", "flag"], { [PASSWORD_ENV]: "env" });
    expect(flagWins.command === "run" && flagWins.settings.mqttPassword).toBe("flag");
  });

  it("the help lists every flag of both tables, so help and parser cannot drift", () => {
    const help = helpText();
    for (const name of new Set([...Object.keys(DEMO), ...Object.keys(RUN)])) expect(help).toContain(`--${name}`);
    for (const name of ["baud", "telemetry", "commands", "responses", "duration"]) expect(help).toMatch(new RegExp(`^  --${name} `, "m"));
    expect(parseCommandLine(["run", "--help"])).toEqual({ command: "help" });
  });
});
