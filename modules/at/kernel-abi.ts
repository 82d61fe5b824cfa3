/**
 * The numbers the engine and its kernels (kernels.ts, and native/kernels.c, which repeats them)
 * agree on: where the scanner's line state lies, and how results are packed.
 */

/** Framed lines lie below this offset of the engine's buffer: their offsets are packed in 15 bits. */
export const MAX_BUFFER = 0x8000;

// The scanner's state, words of the engine's buffer from `stateAt` (the C file has the same):
// the ring's bounds and live bytes, and what is known of the partial line at its head. The
// kernels keep the head and tail themselves, so framing a line passes no offsets to them.
/** Start of the ring's live bytes: everything before it is consumed. */
export const STATE_HEAD = 0;
/** End of the ring's live bytes (exclusive). */
export const STATE_TAIL = 1;
/** The ring's region of the buffer: [base, limit). */
export const STATE_BASE = 2;
export const STATE_LIMIT = 3;
/** Bytes of the partial line at the head known to hold no line end. */
export const STATE_SCANNED = 4;
/** Whether the partial line is a record header: RECORD_*. */
export const STATE_RECORD = 5;
/** 1 while a command waits for the `>` prompt. */
export const STATE_PROMPT_WANTED = 6;
/** Length of the record prefix (0: none), then its bytes from word STATE_PREFIX on. */
export const STATE_PREFIX_LENGTH = 7;
export const STATE_PREFIX = 8;
/** Longest record prefix. */
export const PREFIX_MAX = 16;
export const STATE_WORDS = STATE_PREFIX + (PREFIX_MAX >> 2);

export const RECORD_UNDECIDED = -1;
export const RECORD_NO = 0;
export const RECORD_YES = 1;

/** `frameLine`'s result when nothing more can be framed yet: a partial line, if any, starts at the head. */
export const FRAMED_NOTHING = -1;
/** `frameLine`'s result when the partial line fills the ring: a line longer than the ring. */
export const FRAMED_FULL = -2;

/** Set in a framed line's result when it is a record header ending at its opening quote. */
export const FRAMED_RECORD = 0x8000;

/** Longest token: a line's token is what comes before a colon among its first MAX_TOKEN bytes. */
export const MAX_TOKEN = 24;

/** Most fields `digitFields` reads. */
export const DIGIT_FIELDS_MAX = 16;
