/**
 * The numbers the engine and its kernels (kernels.ts, and native/kernels.c, which repeats them)
 * agree on: where the scanner's line state lies, and how results are packed.
 */

/** Framed lines lie below this offset of the engine's buffer: their offsets are packed in 15 bits. */
export const MAX_BUFFER = 0x8000;

// The scanner's line state, words of the engine's buffer from `stateAt` (the C file has the same).
/** Bytes of the partial line at the head known to hold no line end. */
export const STATE_SCANNED = 0;
/** Whether the partial line is a record header: RECORD_*. */
export const STATE_RECORD = 1;
/** 1 while a command waits for the `>` prompt. */
export const STATE_PROMPT_WANTED = 2;
/** Length of the record prefix (0: none), then its bytes from word STATE_PREFIX on. */
export const STATE_PREFIX_LENGTH = 3;
export const STATE_PREFIX = 4;
/** Longest record prefix. */
export const PREFIX_MAX = 16;
export const STATE_WORDS = STATE_PREFIX + (PREFIX_MAX >> 2);

export const RECORD_UNDECIDED = -1;
export const RECORD_NO = 0;
export const RECORD_YES = 1;

/** Set in a framed line's result when it is a record header ending at its opening quote. */
export const FRAMED_RECORD = 0x8000;

/** Longest token: a line's token is what comes before a colon among its first MAX_TOKEN bytes. */
export const MAX_TOKEN = 24;

/** Most fields `digitFields` reads. */
export const DIGIT_FIELDS_MAX = 16;
