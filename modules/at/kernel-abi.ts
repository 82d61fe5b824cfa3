/**
 * The numbers the engine and its kernels (kernels.ts, and native/kernels.c, which repeats them)
 * agree on: where the scanner's line state lies, and how results are packed.
 */

/** Framed lines lie below this offset of the engine's buffer: their offsets are packed in 15 bits. */
export const MAX_BUFFER = 0x8000;

// The scanner's state, words of the engine's buffer from `stateAt` (the C file has the same):
// the ring's bounds and live bytes, what is known of the partial line at its head, and the
// length-bound read or the too-long line in progress. The kernels keep it, so framing passes
// no offsets in and writes none back.
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
/** Bytes of a length-bound read still to hand over (0: none): they are framed as raw pieces. */
export const STATE_RAW_LEFT = 7;
/** 1 while line ends before the length-bound read's first byte are skipped. */
export const STATE_RAW_SKIP = 8;
/** 1 while a line longer than the ring is dropped up to its end. */
export const STATE_DISCARDING = 9;
/** Bytes of that line dropped so far; read when FRAMED_DROPPED reports its end. */
export const STATE_DROPPED = 10;
/** Bytes of the last read that `joinInput` found no room for (see FRAMED_UNJOINED). */
export const STATE_UNJOINED = 11;
/** Lines framed, counted for the engine's statistics (a statement fewer per line than a field). */
export const STATE_LINES = 12;
/**
 * 1 from `joinInput` until `frameNext` finds nothing more to frame: a read is being framed, and
 * input that arrives meanwhile (a port answering inside `write`) must join without compaction.
 */
export const STATE_FEEDING = 13;
/** Length of the record prefix (0: none), then its bytes from word STATE_PREFIX on. */
export const STATE_PREFIX_LENGTH = 14;
export const STATE_PREFIX = 15;
/** Longest record prefix. */
export const PREFIX_MAX = 16;
export const STATE_WORDS = STATE_PREFIX + (PREFIX_MAX >> 2);

export const RECORD_UNDECIDED = -1;
export const RECORD_NO = 0;
export const RECORD_YES = 1;

/** `frameNext`'s result when nothing more can be framed yet: a partial line, if any, starts at the head. */
export const FRAMED_NOTHING = -1;
/** `frameNext`'s result when a line longer than the ring ended: STATE_DROPPED has how much of it was lost. */
export const FRAMED_DROPPED = -2;
/**
 * `frameNext`'s result, in place of FRAMED_NOTHING, when part of the last read found no room
 * (STATE_UNJOINED): it can join now that everything before it is framed.
 */
export const FRAMED_UNJOINED = -3;
// `frameNext`'s results below FRAMED_UNJOINED are pieces of a length-bound read, `~(start << 16
// | end)`; an empty one: only line ends, skipped before the read, arrived.

/** Set in a framed line's result when it is a record header ending at its opening quote. */
export const FRAMED_RECORD = 0x8000;

/** Longest token: a line's token is what comes before a colon among its first MAX_TOKEN bytes. */
export const MAX_TOKEN = 24;

/** Most fields `digitFields` reads. */
export const DIGIT_FIELDS_MAX = 16;
