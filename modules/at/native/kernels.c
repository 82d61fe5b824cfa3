/*
 * The AT engine's byte loops in C: the module `cellmqtt/at/kernels` on Moddable builds. A
 * line-for-line mirror of ../kernels.ts, which documents each function and runs where there is
 * no native code (Node); the XS tests check that both give the same results.
 *
 * Each function reads the engine's buffer through its first argument, a Uint8Array over the
 * whole buffer, so the data pointer is fetched once per call and nothing is allocated.
 */
#include <stdint.h>
#include <string.h>
#include "xsmc.h"

#define CR 0x0d
#define LF 0x0a
#define SPACE 0x20
#define QUOTE 0x22
#define COMMA 0x2c
#define COLON 0x3a
#define PROMPT 0x3e

#define STATE_HEAD 0
#define STATE_TAIL 1
#define STATE_BASE 2
#define STATE_LIMIT 3
#define STATE_SCANNED 4
#define STATE_RECORD 5
#define STATE_PROMPT_WANTED 6
#define STATE_RAW_LEFT 7
#define STATE_RAW_SKIP 8
#define STATE_DISCARDING 9
#define STATE_DROPPED 10
#define STATE_UNJOINED 11
#define STATE_LINES 12
#define STATE_FEEDING 13
#define STATE_PREFIX_LENGTH 14
#define STATE_PREFIX 15
#define PREFIX_MAX 16

#define RECORD_UNDECIDED (-1)
#define RECORD_NO 0
#define RECORD_YES 1

#define FRAMED_NOTHING (-1)
#define FRAMED_DROPPED (-2)
#define FRAMED_UNJOINED (-3)
#define FRAMED_RECORD 0x8000
#define MAX_BUFFER 0x8000
#define MAX_TOKEN 24
#define DIGIT_FIELDS_MAX 16
#define INT_MAX_VALUE 0x7fffffff

/* The buffer behind argument `i` (a typed array); throws if an offset could fall outside it. */
static uint8_t *bufferArg(xsMachine *the, int i, xsUnsignedValue *size)
{
	void *data;
	xsmcGetBufferWritable(xsArg(i), &data, size);
	return (uint8_t *)data;
}

static int32_t offsetArg(xsMachine *the, int i, xsUnsignedValue size)
{
	xsIntegerValue v = xsmcToInteger(xsArg(i));
	if ((v < 0) || ((xsUnsignedValue)v > size))
		xsRangeError("offset %d outside the buffer", (int)v);
	return (int32_t)v;
}

static int32_t readWord(const uint8_t *bytes, int32_t word)
{
	int32_t v;
	memcpy(&v, bytes + (word << 2), 4);
	return v;
}

static void writeWord(uint8_t *bytes, int32_t word, int32_t v)
{
	memcpy(bytes + (word << 2), &v, 4);
}

static int32_t recordStart(const uint8_t *bytes, int32_t stateAt, int32_t head, int32_t tail)
{
	const uint8_t *prefix = bytes + ((stateAt + STATE_PREFIX) << 2);
	int32_t n = readWord(bytes, stateAt + STATE_PREFIX_LENGTH);
	int32_t i = 0;
	while ((i < n) && (head + i < tail)) {
		if (bytes[head + i] != prefix[i])
			return RECORD_NO;
		i++;
	}
	return (n == 0) ? RECORD_NO : (i == n) ? RECORD_YES : RECORD_UNDECIDED;
}

/*
 * The scanner's state at word `stateAt`, checked: the ring within what the kernels address and
 * within the buffer, its live bytes within the ring.
 */
static int32_t stateArg(xsMachine *the, int i, xsUnsignedValue size, const uint8_t *bytes, const char *who)
{
	int32_t stateAt = xsmcToInteger(xsArg(i));
	int32_t head, tail, base, limit;
	if ((stateAt < 0) || ((xsUnsignedValue)stateAt > (size >> 2))
		|| ((((xsUnsignedValue)stateAt + STATE_PREFIX + (PREFIX_MAX >> 2)) << 2) > size)
		|| ((xsUnsignedValue)readWord(bytes, stateAt + STATE_PREFIX_LENGTH) > PREFIX_MAX))
		xsRangeError("%s: state outside the buffer", who);
	head = readWord(bytes, stateAt + STATE_HEAD);
	tail = readWord(bytes, stateAt + STATE_TAIL);
	base = readWord(bytes, stateAt + STATE_BASE);
	limit = readWord(bytes, stateAt + STATE_LIMIT);
	if ((base < 0) || (limit < base) || (limit > MAX_BUFFER) || ((xsUnsignedValue)limit > size)
		|| (head < base) || (tail < head) || (tail > limit))
		xsRangeError("%s: ring outside what it addresses", who);
	return stateAt;
}

static int32_t frameNext(xsMachine *the, uint8_t *bytes, int32_t stateAt);

/* joinInput(bytes, words, stateAt, from, count) */
void xs_cellmqtt_join_input(xsMachine *the)
{
	xsUnsignedValue size;
	uint8_t *bytes = bufferArg(the, 0, &size);
	int32_t stateAt = stateArg(the, 2, size, bytes, "joinInput");
	int32_t from = offsetArg(the, 3, size);
	int32_t count = xsmcToInteger(xsArg(4));
	int32_t head = readWord(bytes, stateAt + STATE_HEAD);
	int32_t tail = readWord(bytes, stateAt + STATE_TAIL);
	int32_t base = readWord(bytes, stateAt + STATE_BASE);
	int32_t limit = readWord(bytes, stateAt + STATE_LIMIT);
	int32_t n;
	if ((count < 0) || ((xsUnsignedValue)count > size - (xsUnsignedValue)from))
		xsRangeError("joinInput: count %d outside the buffer", (int)count);
	if (head == tail)
		head = tail = base;
	else if ((tail - base > ((limit - base) >> 1)) || (count > limit - tail)) {
		memmove(bytes + base, bytes + head, (size_t)(tail - head));
		tail -= head - base;
		head = base;
	}
	n = (count < limit - tail) ? count : limit - tail;
	memmove(bytes + tail, bytes + from, (size_t)n);
	writeWord(bytes, stateAt + STATE_HEAD, head);
	writeWord(bytes, stateAt + STATE_TAIL, tail + n);
	writeWord(bytes, stateAt + STATE_UNJOINED, count - n);
	writeWord(bytes, stateAt + STATE_FEEDING, 1);
	xsmcSetInteger(xsResult, frameNext(the, bytes, stateAt));
}

/* The next piece of a length-bound read (see frameNext); head < tail. */
static int32_t rawPiece(uint8_t *bytes, int32_t stateAt, int32_t head, int32_t tail, int32_t left)
{
	int32_t end;
	if (readWord(bytes, stateAt + STATE_RAW_SKIP) != 0) {
		while ((head < tail) && ((bytes[head] == CR) || (bytes[head] == LF)))
			head++;
		writeWord(bytes, stateAt + STATE_HEAD, head);
		if (head == tail)
			return ~((head << 16) | head);
		writeWord(bytes, stateAt + STATE_RAW_SKIP, 0);
	}
	end = (tail - head > left) ? head + left : tail;
	writeWord(bytes, stateAt + STATE_RAW_LEFT, left - (end - head));
	writeWord(bytes, stateAt + STATE_HEAD, end);
	return ~((head << 16) | end);
}

/* Drops the rest of a line longer than the ring (see frameNext); head < tail. */
static int32_t discard(uint8_t *bytes, int32_t stateAt, int32_t head, int32_t tail)
{
	int32_t end = head;
	while ((end < tail) && (bytes[end] != CR) && (bytes[end] != LF))
		end++;
	writeWord(bytes, stateAt + STATE_DROPPED, readWord(bytes, stateAt + STATE_DROPPED) + (end - head));
	if (end >= tail) {
		writeWord(bytes, stateAt + STATE_HEAD, tail);
		return FRAMED_NOTHING;
	}
	writeWord(bytes, stateAt + STATE_DISCARDING, 0);
	writeWord(bytes, stateAt + STATE_HEAD, end + 1);
	return FRAMED_DROPPED;
}

/* What comes next from the ring's head (see frameNext in ../kernels.ts); the state is checked. */
static int32_t frame(xsMachine *the, uint8_t *bytes, int32_t stateAt)
{
	int32_t head = readWord(bytes, stateAt + STATE_HEAD);
	int32_t tail = readWord(bytes, stateAt + STATE_TAIL);
	int32_t rawLeft = readWord(bytes, stateAt + STATE_RAW_LEFT);
	int32_t c = 0, record, end;
	if (rawLeft < 0)
		xsRangeError("frameNext: a negative length-bound read");
	if (head >= tail)
		return FRAMED_NOTHING;
	if (rawLeft != 0)
		return rawPiece(bytes, stateAt, head, tail, rawLeft);
	if (readWord(bytes, stateAt + STATE_DISCARDING) != 0)
		return discard(bytes, stateAt, head, tail);
	while (head < tail) {
		c = bytes[head];
		if ((c != LF) && (c != CR) && (c != SPACE))
			break;
		head++;
	}
	if ((head < tail) && (c == PROMPT) && (readWord(bytes, stateAt + STATE_PROMPT_WANTED) != 0)) {
		writeWord(bytes, stateAt + STATE_PROMPT_WANTED, 0);
		writeWord(bytes, stateAt + STATE_SCANNED, 0);
		writeWord(bytes, stateAt + STATE_RECORD, RECORD_UNDECIDED);
		writeWord(bytes, stateAt + STATE_HEAD, head + 1);
		return head;
	}
	writeWord(bytes, stateAt + STATE_HEAD, head);
	if (head >= tail)
		return FRAMED_NOTHING;
	record = readWord(bytes, stateAt + STATE_RECORD);
	if (record == RECORD_UNDECIDED)
		record = recordStart(bytes, stateAt, head, tail);
	end = head + readWord(bytes, stateAt + STATE_SCANNED);
	if ((end < head) || (end > tail))
		xsRangeError("frameNext: scanned state past the ring's tail");
	while (end < tail) {
		c = bytes[end];
		if ((c == CR) || (c == LF) || ((c == QUOTE) && (record == RECORD_YES)))
			break;
		end++;
	}
	if (end >= tail) {
		if (tail - head >= readWord(bytes, stateAt + STATE_LIMIT) - readWord(bytes, stateAt + STATE_BASE)) {
			writeWord(bytes, stateAt + STATE_SCANNED, 0);
			writeWord(bytes, stateAt + STATE_RECORD, RECORD_UNDECIDED);
			writeWord(bytes, stateAt + STATE_DISCARDING, 1);
			writeWord(bytes, stateAt + STATE_DROPPED, tail - head);
			writeWord(bytes, stateAt + STATE_HEAD, tail);
		}
		else {
			writeWord(bytes, stateAt + STATE_SCANNED, tail - head);
			writeWord(bytes, stateAt + STATE_RECORD, record);
		}
		return FRAMED_NOTHING;
	}
	writeWord(bytes, stateAt + STATE_SCANNED, 0);
	writeWord(bytes, stateAt + STATE_RECORD, RECORD_UNDECIDED);
	writeWord(bytes, stateAt + STATE_LINES, readWord(bytes, stateAt + STATE_LINES) + 1);
	if (c == QUOTE) {
		writeWord(bytes, stateAt + STATE_HEAD, end);
		return (head << 16) | end | FRAMED_RECORD;
	}
	writeWord(bytes, stateAt + STATE_HEAD, end + 1);
	return (head << 16) | end;
}

static int32_t frameNext(xsMachine *the, uint8_t *bytes, int32_t stateAt)
{
	int32_t r = frame(the, bytes, stateAt);
	if (r != FRAMED_NOTHING)
		return r;
	if (readWord(bytes, stateAt + STATE_UNJOINED) != 0)
		return FRAMED_UNJOINED;
	writeWord(bytes, stateAt + STATE_FEEDING, 0);
	return r;
}

/* frameNext(bytes, words, stateAt) */
void xs_cellmqtt_frame_next(xsMachine *the)
{
	xsUnsignedValue size;
	uint8_t *bytes = bufferArg(the, 0, &size);
	int32_t stateAt = stateArg(the, 2, size, bytes, "frameNext");
	xsmcSetInteger(xsResult, frameNext(the, bytes, stateAt));
}

/* tokenKey(bytes, start, end, names) */
void xs_cellmqtt_token_key(xsMachine *the)
{
	xsUnsignedValue size, namesSize;
	const uint8_t *bytes = bufferArg(the, 0, &size);
	int32_t start = offsetArg(the, 1, size);
	int32_t end = offsetArg(the, 2, size);
	const uint8_t *names = bufferArg(the, 3, &namesSize);
	int32_t limit = (end - start > MAX_TOKEN) ? start + MAX_TOKEN : end;
	int32_t colon = start, body = start, n, at, i;
	if (start > end)
		xsRangeError("tokenKey: start past end");
	while ((colon < limit) && (bytes[colon] != COLON))
		colon++;
	if (colon < limit) {
		body = colon + 1;
		while ((body < end) && (bytes[body] == SPACE))
			body++;
	}
	else if (limit != end) {
		xsmcSetInteger(xsResult, start << 16);
		return;
	}
	n = colon - start;
	for (at = 0; ((xsUnsignedValue)at < namesSize) && (names[at] != 0); at += 3 + names[at]) {
		if (names[at] != n)
			continue;
		if ((xsUnsignedValue)(at + 3 + n) > namesSize)
			break;
		i = 0;
		while ((i < n) && (bytes[start + i] == names[at + 3 + i]))
			i++;
		if (i == n) {
			xsmcSetInteger(xsResult, (body << 16) | (names[at + 2] << 8) | (names[at + 1] + 1));
			return;
		}
	}
	xsmcSetInteger(xsResult, body << 16);
}

/*
 * digitFields(bytes, start, end, out). The values are found first and stored after: a typed
 * array of 32-bit elements has no byte buffer the xsmc API hands out, so each goes through
 * the array's own setter (which ignores an index past its end).
 */
void xs_cellmqtt_digit_fields(xsMachine *the)
{
	xsUnsignedValue size;
	const uint8_t *bytes = bufferArg(the, 0, &size);
	int32_t start = offsetArg(the, 1, size);
	int32_t end = offsetArg(the, 2, size);
	int32_t values[DIGIT_FIELDS_MAX];
	int32_t n = 0, from = start, i, d;
	int64_t v = 0;
	for (i = start; i < end; i++) {
		d = bytes[i] - 0x30;
		if ((d >= 0) && (d <= 9)) {
			if (v <= INT_MAX_VALUE)
				v = v * 10 + d;
		}
		else if ((bytes[i] != COMMA) || (n == DIGIT_FIELDS_MAX - 1)) {
			xsmcSetInteger(xsResult, -1);
			return;
		}
		else {
			values[n++] = ((i > from) && (v <= INT_MAX_VALUE)) ? (int32_t)v : -1;
			v = 0;
			from = i + 1;
		}
	}
	values[n++] = ((end > from) && (v <= INT_MAX_VALUE)) ? (int32_t)v : -1;
	xsmcVars(1);
	/* Only the places `out` has: a plain array must not grow. */
	for (i = 0; (i < n) && xsmcHasIndex(xsArg(3), (xsIndex)i); i++) {
		xsmcSetInteger(xsVar(0), values[i]);
		xsmcSetIndex(xsArg(3), (xsIndex)i, xsVar(0));
	}
	xsmcSetInteger(xsResult, n);
}

/* messageFields(bytes, start, end, out, at): as digitFields, the values go through the setter. */
void xs_cellmqtt_message_fields(xsMachine *the)
{
	xsUnsignedValue size;
	const uint8_t *bytes = bufferArg(the, 0, &size);
	int32_t start = offsetArg(the, 1, size);
	int32_t end = offsetArg(the, 2, size);
	int32_t at = xsmcToInteger(xsArg(4));
	int32_t i = start, c, d, id = -1, topic, close, k;
	int64_t v = -1;
	int spaced = 0;
	int32_t values[6];
	if ((at < 0) || (at > INT_MAX_VALUE - 6) || !xsmcHasIndex(xsArg(3), (xsIndex)(at + 5)))
		xsRangeError("messageFields: no room for six values at %d", (int)at);
	if (start >= end) {
		xsmcSetInteger(xsResult, 0);
		return;
	}
	for (;;) {
		c = bytes[i];
		d = c - 0x30;
		if ((d >= 0) && (d <= 9)) {
			if (spaced) goto no;
			v = (v < 0) ? d : (v <= INT_MAX_VALUE) ? v * 10 + d : v;
		}
		else if (c == SPACE)
			spaced = v >= 0;
		else if ((c != COMMA) || (v < 0) || (v > INT_MAX_VALUE))
			goto no;
		else if (id < 0) {
			id = (int32_t)v;
			v = -1;
			spaced = 0;
		}
		else
			break;
		if (++i == end) goto no;
	}
	do {
		if (++i == end) goto no;
		c = bytes[i];
	} while (c == SPACE);
	if (c != QUOTE) goto no;
	topic = i + 1;
	for (;;) {
		close = i + 1;
		while ((close < end) && (bytes[close] != QUOTE))
			close++;
		i = close + 1;
		if (i >= end) goto no;
		c = bytes[i];
		while (c == SPACE) {
			if (++i == end) goto no;
			c = bytes[i];
		}
		if (c != COMMA) {
			i = close;
			continue;
		}
		do {
			if (++i == end) goto no;
			c = bytes[i];
		} while (c == SPACE);
		if (c == QUOTE)
			break;
		if ((c - 0x30 >= 0) && (c - 0x30 <= 9)) goto no;
	}
	if ((end - 1 <= i) || (bytes[end - 1] != QUOTE)) goto no;
	values[0] = id;
	values[1] = (int32_t)v;
	values[2] = topic;
	values[3] = close;
	values[4] = i + 1;
	values[5] = end - 1;
	xsmcVars(1);
	for (k = 0; k < 6; k++) {
		xsmcSetInteger(xsVar(0), values[k]);
		xsmcSetIndex(xsArg(3), (xsIndex)(at + k), xsVar(0));
	}
	xsmcSetInteger(xsResult, 1);
	return;
no:
	xsmcSetInteger(xsResult, 0);
}
