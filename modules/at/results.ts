/** How a command ended. Numbers, so completing a command allocates nothing. */
export const RESULT_OK = 0;
/** `ERROR`, or `ERROR: <n>` (the dialect's form; `code` is n, else -1). */
export const RESULT_ERROR = 1;
/** `+CME ERROR: <n>`. */
export const RESULT_CME_ERROR = 2;
/** `+CMS ERROR: <n>`. */
export const RESULT_CMS_ERROR = 3;
/** No final result within the command's timeout. */
export const RESULT_TIMEOUT = 4;
/** Dropped unsent or unanswered: the engine was reset (e.g. the modem rebooted). */
export const RESULT_CANCELLED = 5;

export type AtResult = 0 | 1 | 2 | 3 | 4 | 5;

const NAMES = ["OK", "ERROR", "+CME ERROR", "+CMS ERROR", "timeout", "cancelled"];

export function resultName(result: number): string {
  return NAMES[result] ?? "unknown";
}

/** Engine events worth a log line in the field. */
export const NOTICE_LINE_TOO_LONG = 0;
/** A final result or `>` that belongs to no command: none waits, or the channel is out of step. */
export const NOTICE_UNMATCHED = 1;
export const NOTICE_UNHANDLED_LINE = 2;
/** A command was given up: the channel is out of step until a sync is answered. */
export const NOTICE_TIMEOUT = 3;
export const NOTICE_INPUT_DROPPED = 4;
/** A sync command went unanswered; another follows once the line is quiet. */
export const NOTICE_SYNC_TIMEOUT = 5;
/** Back in step: queued commands go out again (a good moment to read what may have been missed). */
export const NOTICE_RESYNCED = 6;
/** Filler was written in place of a payload the modem may have been collecting. */
export const NOTICE_FILLER = 7;
/** A line the command given up may still be answering with arrived while out of step: dropped. */
export const NOTICE_STALE_LINE = 8;
/** A `+MQTTREAD` record with a wrong delimiter or no lengths: dropped. The line is its topic, if read. */
export const NOTICE_RECORD_MALFORMED = 9;
/** A `+MQTTREAD` record longer than the buffers, read past by its length. The line is its topic, if read. */
export const NOTICE_RECORD_SKIPPED = 10;
/** The line fell silent in the middle of a `+MQTTREAD` record: dropped. */
export const NOTICE_RECORD_CUT = 11;
/** A command waited its timeout for `>`; it waits a grace period more before it is given up. */
export const NOTICE_PROMPT_OVERDUE = 12;

const NOTICES = [
  "line too long, dropped",
  "unmatched result",
  "unhandled line",
  "command timed out",
  "input dropped",
  "sync unanswered",
  "back in step",
  "filler written in place of a payload",
  "stale line dropped",
  "malformed +MQTTREAD record dropped",
  "+MQTTREAD record longer than the buffers skipped",
  "+MQTTREAD record cut short by silence, dropped",
  "prompt overdue, still waiting",
];

export function noticeName(notice: number): string {
  return NOTICES[notice] ?? "unknown";
}

/**
 * Indices of the engine's counters (`engine.stats[STAT_*]`), for logs and soak tests. They only
 * grow, until the engine is made again.
 */
export const STAT_LINES = 0;
/** Lines that were the modem echoing a command. */
export const STAT_ECHOES = 1;
export const STAT_UNHANDLED = 2;
/** Final results and prompts that belonged to no command (never credited to one). */
export const STAT_UNMATCHED = 3;
export const STAT_OVERFLOWS = 4;
/** Commands given up for want of an answer. */
export const STAT_TIMEOUTS = 5;
/** Input bytes dropped because the receive ring was full. */
export const STAT_DROPPED = 6;
/** Times the channel got back in step after leaving it. */
export const STAT_RESYNCS = 7;
export const STAT_SYNC_TIMEOUTS = 8;
/** Filler bytes written in place of payloads. */
export const STAT_FILLER_BYTES = 9;
/** Lines dropped as possibly stale answers while out of step. */
export const STAT_STALE_LINES = 10;
/** `+MQTTREAD` records delivered whole. */
export const STAT_RECORDS = 11;
export const STAT_RECORDS_MALFORMED = 12;
/** Records longer than the buffers, skipped by their length. */
export const STAT_RECORDS_SKIPPED = 13;
/** Records cut short because the line fell silent. */
export const STAT_RECORDS_CUT = 14;
/** Commands that waited past their timeout for `>` (given up or not). */
export const STAT_PROMPTS_OVERDUE = 15;
/** How many counters there are. */
export const STAT_COUNT = 16;

/** How a `+MQTTREAD` record ended (`RecordSink.onRecordEnd`). */
export const RECORD_OK = 0;
/** `<id>,0,0,0`: no message waits for the id. */
export const RECORD_NONE = 1;
/** A delimiter was wrong: dropped, never delivered. */
export const RECORD_MALFORMED = 2;
/** Longer than the buffers: read past by its length, not delivered. */
export const RECORD_TOO_LONG = 3;
/** The line fell silent (or the modem restarted) before the record was whole. */
export const RECORD_CUT = 4;

const RECORDS = ["ok", "none", "malformed", "too long", "cut short"];

export function recordName(status: number): string {
  return RECORDS[status] ?? "unknown";
}
