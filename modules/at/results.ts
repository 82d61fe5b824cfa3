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
export const NOTICE_STRAY_RESULT = 1;
export const NOTICE_UNHANDLED_LINE = 2;
export const NOTICE_TIMEOUT = 3;
export const NOTICE_INPUT_DROPPED = 4;

const NOTICES = ["line too long, dropped", "result with no command in flight", "unhandled line", "command timed out", "input dropped"];

export function noticeName(notice: number): string {
  return NOTICES[notice] ?? "unknown";
}
