/**
 * Secrets out of the trace: a line that holds `AT+MQTTUSER=` is cut after the user name, so the
 * password (and the client id after it) never reaches a log, wherever the command starts in the
 * line (stray bytes before an echoed command included).
 */
const USER_COMMAND = /AT\+MQTTUSER=/i;

export const REDACTED = "<redacted>";

export function redactSecrets(line: string): string {
  const at = line.search(USER_COMMAND);
  if (at < 0) return line;
  const args = at + "AT+MQTTUSER=".length;
  // <id>,"<user>" is kept when it is well formed; otherwise nothing after the command name is.
  const kept = /^\s*\d+\s*,\s*"[^"]*"/.exec(line.slice(args));
  const end = kept ? args + kept[0].length : args;
  return `${line.slice(0, end)}${kept ? "," : ""}${REDACTED}`;
}
