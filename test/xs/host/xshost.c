/*
 * xshost: the project's XS test host. Runs one script (an esbuild IIFE bundle) in a fresh XS
 * machine and exposes the few globals the XS tests and benchmarks need:
 *
 *   print(...values)          one line on stdout
 *   gc()                      full collection
 *   xsCounters(out)           fills a Float64Array WITHOUT allocating (see xs_counters)
 *   xsResetStackPeak()        starts a new stack peak measurement from the current depth
 *   scriptArgs                array of the command-line arguments after the script path
 *   callgrindDump(phase)      under valgrind's callgrind, dumps the instruction counts since the
 *                             last dump as "phase N" and zeroes them; elsewhere does nothing
 *   nativeKernels             the engine's C kernels (modules/at/native/kernels.c) as host
 *                             functions, which the XS builds of the engine import in place of
 *                             modules/at/kernels.ts, as a Moddable build does
 *
 * The built-ins are frozen before the script runs, as a Moddable build freezes them when it
 * preloads (every built-in prototype and namespace object): XS's lockdown() hardens every
 * intrinsic, which covers what Moddable freezes and more. It leaves the main global's Date and
 * Math.random alone (only a compartment's are replaced) and the global object extensible.
 * `--unfrozen` skips it, to show what a test sees on an engine that does not freeze.
 *
 * Built from the XS sources that the @agoric/xsnap package ships (XS 13.3) plus its Linux
 * platform file, the way its own makefiles do, with mxInstrument added for the GC count.
 * The JavaScript stack holds `--stack` slots, like `creation.stack` in a Moddable manifest
 * (384 by default there); the engine's intrinsics live at its top, as they do on the device.
 * Exit status: 0 when the script (and its promise jobs) ran without an uncaught exception,
 * 1 for an uncaught exception or an unhandled rejection (message on stderr), XS abort codes
 * otherwise (2 stack overflow, 3 memory full, ...).
 */
#include "xsAll.h"
#include "xsnap.h"
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif

/* Defined in modules/at/native/kernels.c. */
extern void xs_cellmqtt_join_input(xsMachine* the);
extern void xs_cellmqtt_frame_next(xsMachine* the);
extern void xs_cellmqtt_token_key(xsMachine* the);
extern void xs_cellmqtt_digit_fields(xsMachine* the);
extern void xs_cellmqtt_message_fields(xsMachine* the);

/* Defined in xsLockdown.c. */
extern void fx_harden(txMachine* the);
extern void fx_lockdown(txMachine* the);

/* Defined in xsnapPlatform.c. */
extern void fxRunModuleFile(txMachine* the, txString path);
extern void fxRunProgramFile(txMachine* the, txString path);
extern void fxRunLoop(txMachine* the);

/*
 * An unhandled promise rejection only prints a report in xsnap's platform file. Linked with
 * -Wl,--wrap=fxAbort, the engine's calls come here first, so the run can fail on it.
 */
extern void __real_fxAbort(txMachine* the, int status);
static int gxUnhandledRejections = 0;
static void reportFrames(txMachine* the);
void __wrap_fxAbort(txMachine* the, int status)
{
	if (status == XS_UNHANDLED_REJECTION_EXIT)
		gxUnhandledRejections++;
	if (status == XS_STACK_OVERFLOW_EXIT)
		reportFrames(the);
	__real_fxAbort(the, status);
}

/*
 * On a stack overflow: every JavaScript frame, innermost first, with the stack slots in use
 * below it, so the report shows which call chain spent the stack. Reads names without
 * allocating (the stack is full).
 */
static void reportFrames(txMachine* the)
{
	txSlot* frame = the->frame;
	fprintf(stderr, "xshost: stack overflow at %ld of %ld slots; frames, innermost first:\n",
		(long)(the->stackTop - the->stack), (long)(the->stackTop - the->stackBottom));
	while (frame && frame->next) {
		txSlot* environment = mxFrameToEnvironment(frame);
		txSlot* function = frame + 3;
		txString name = "?";
		txString path = (environment->ID != XS_NO_ID) ? fxGetKeyName(the, environment->ID) : C_NULL;
		if ((function->kind == XS_REFERENCE_KIND) && mxIsFunction(function->value.reference)) {
			txSlot* code = mxFunctionInstanceCode(function->value.reference);
			if (code->ID != XS_NO_ID)
				name = fxGetKeyName(the, code->ID);
		}
		fprintf(stderr, "  %5ld  %s (%s:%d)\n", (long)(the->stackTop - frame), name ? name : "?",
			path ? path : "?", (int)environment->value.environment.line);
		frame = frame->next;
	}
}

/*
 * mxInstrument (needed for the GC count) also calls the profiler check on every function exit;
 * this host never starts the profiler, so the check is skipped outright (-Wl,--wrap) rather
 * than charged to every call in the instruction counts.
 */
void __wrap_fxCheckProfiler(txMachine* the, txSlot* frame)
{
}

static xsBooleanValue meterCallback(xsMachine* the, xsUnsignedValue index)
{
	return 1;
}

static void xs_print(xsMachine* the)
{
	xsIntegerValue c = xsToInteger(xsArgc), i;
	for (i = 0; i < c; i++) {
		if (i)
			fputc(' ', stdout);
		fputs(xsToString(xsArg(i)), stdout);
	}
	fputc('\n', stdout);
	/* Flushed per line so a crash or an abort never loses what was printed before it. */
	fflush(stdout);
}

static void xs_gc(xsMachine* the)
{
	xsCollectGarbage();
}

/*
 * xsCounters(out: Float64Array): writes, as far as `out` is long,
 *   [0] slots in use (currentHeapCount)
 *   [1] chunk bytes in use (currentChunksSize)
 *   [2] garbage collections so far
 *   [3] metering index: bytecodes (and metered native steps) executed so far
 *   [4] sizeof(txSlot) on this host, to convert slot counts to bytes
 *   [5] peak slots, [6] peak chunk bytes
 *   [7] JavaScript stack slots in use now, [8] the most in use since xsResetStackPeak()
 *       (the engine records the peak when a JavaScript function returns, so the deepest
 *       native call's own frame is not in it), [9] the stack's size in slots (--stack)
 * It reads the typed array's backing store directly, creating no slot, chunk or string, so
 * measuring a code path does not disturb it. Nothing is returned (undefined).
 */
static void xs_counters(xsMachine* the)
{
	txSlot* slot;
	txSlot* instance;
	txSlot* dispatch;
	txSlot* view;
	txSlot* buffer;
	txSlot* arrayBuffer;
	double* out;
	txInteger count;
	double values[10];
	txInteger i;

	if (xsToInteger(xsArgc) < 1)
		xsTypeError("xsCounters(out: Float64Array)");
	slot = &xsArg(0);
	if (slot->kind != XS_REFERENCE_KIND)
		xsTypeError("xsCounters: not a Float64Array");
	instance = slot->value.reference;
	dispatch = instance->next;
	if (!dispatch || !(dispatch->flag & XS_INTERNAL_FLAG) || (dispatch->kind != XS_TYPED_ARRAY_KIND)
			|| (dispatch->value.typedArray.dispatch->constructorID != mxID(_Float64Array)))
		xsTypeError("xsCounters: not a Float64Array");
	view = dispatch->next;
	buffer = view->next;
	arrayBuffer = buffer->value.reference->next;
	if ((arrayBuffer->kind != XS_ARRAY_BUFFER_KIND) || (arrayBuffer->value.arrayBuffer.address == C_NULL))
		xsTypeError("xsCounters: detached buffer");
	count = fxGetDataViewSize(the, view, buffer) >> 3;
	out = (double*)((txByte*)arrayBuffer->value.arrayBuffer.address + view->value.dataView.offset);

	values[0] = (double)the->currentHeapCount;
	values[1] = (double)the->currentChunksSize;
	values[2] = (double)the->garbageCollectionCount;
	values[3] = (double)the->meterIndex;
	values[4] = (double)sizeof(txSlot);
	values[5] = (double)the->peakHeapCount;
	values[6] = (double)the->peakChunksSize;
	values[7] = (double)(the->stackTop - the->stack);
	values[8] = (double)(the->stackTop - the->stackPeak);
	values[9] = (double)(the->stackTop - the->stackBottom);
	if (count > 10)
		count = 10;
	for (i = 0; i < count; i++)
		c_memcpy(out + i, values + i, sizeof(double)); /* the buffer may be unaligned for double */
}

/*
 * callgrindDump(phase: number): splits a callgrind run into phases, so one run measures several
 * code paths without subtracting whole runs. Takes a number, not a label: making a string would
 * allocate in the script being measured. Without valgrind's headers, or outside valgrind, it
 * does nothing.
 */
static void xs_callgrind_dump(xsMachine* the)
{
#ifdef CALLGRIND_DUMP_STATS_AT
	char label[32];
	snprintf(label, sizeof(label), "phase %d", (int)xsToInteger(xsArg(0)));
	CALLGRIND_DUMP_STATS_AT(label);
#endif
}

static void xs_resetStackPeak(xsMachine* the)
{
	the->stackPeak = the->stack;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xshost [--slots N] [--chunks BYTES] [--stack N] [--unfrozen] script.js [args...]\n"
		"  --slots N        initial (and incremental/8) slot heap count, default 16384\n"
		"  --chunks BYTES   initial (and incremental/4) chunk heap size, default 262144\n"
		"  --stack N        JavaScript stack slots, intrinsics included, default 384 (Moddable's)\n"
		"  --unfrozen       leave the built-ins unfrozen\n");
}

/* A positive integer argument, or 0 if it is not one. */
static int count(const char* text)
{
	char* end;
	long value = strtol(text, &end, 10);
	return (*text && !*end && value > 0 && value < (1L << 30)) ? (int)value : 0;
}

int main(int argc, char* argv[])
{
	int argi = 1;
	int status = 0;
	int slots = 16384;
	int chunks = 256 * 1024;
	int stack = 384;
	int frozen = 1;
	int module = 0;
	char path[C_PATH_MAX];
	xsMachine* machine;

	while ((argi < argc) && (argv[argi][0] == '-') && (argv[argi][1] == '-')) {
		if (!strcmp(argv[argi], "--slots") && (argi + 1 < argc) && (slots = count(argv[argi + 1])))
			argi++;
		else if (!strcmp(argv[argi], "--chunks") && (argi + 1 < argc) && (chunks = count(argv[argi + 1])))
			argi++;
		else if (!strcmp(argv[argi], "--stack") && (argi + 1 < argc) && (stack = count(argv[argi + 1])))
			argi++;
		else if (!strcmp(argv[argi], "--unfrozen"))
			frozen = 0;
		else {
			usage();
			return 2;
		}
		argi++;
	}
	if (argi >= argc) {
		usage();
		return 2;
	}
	if (!c_realpath(argv[argi], path)) {
		fprintf(stderr, "xshost: file not found: %s\n", argv[argi]);
		return 2;
	}
	module = (strlen(path) > 4) && !strcmp(path + strlen(path) - 4, ".mjs");
	{
		/* Small heaps with small increments, so collections happen about as often as they would
		 * on a device; the parser buffer is large because whole bundles are parsed at once. */
		xsCreation creation = {
			chunks,             /* initialChunkSize */
			chunks / 4,         /* incrementalChunkSize */
			slots,              /* initialHeapCount */
			slots / 8,          /* incrementalHeapCount */
			stack,              /* stackCount */
			32000,              /* initialKeyCount */
			8000,               /* incrementalKeyCount */
			1993,               /* nameModulo */
			127,                /* symbolModulo */
			16 * 1024 * 1024,   /* parserBufferSize */
			1993,               /* parserTableModulo */
		};
		xsInitializeSharedCluster();
		machine = xsCreateMachine(&creation, "xshost", NULL);
	}
	/* The metering block's jump is the outermost one: an abort (stack overflow, memory full)
	 * lands there with the stack restored instead of looping in the host's exception report.
	 * Interval 0: the counter runs, the callback is never called. */
	xsBeginMetering(machine, meterCallback, 0);
	xsBeginHost(machine);
	{
		int i;
		xsVars(2);
		xsVar(0) = xsNewHostFunction(xs_print, 1);
		xsDefine(xsGlobal, xsID("print"), xsVar(0), xsDontEnum);
		xsVar(0) = xsNewHostFunction(xs_gc, 0);
		xsDefine(xsGlobal, xsID("gc"), xsVar(0), xsDontEnum);
		xsVar(0) = xsNewHostFunction(xs_counters, 1);
		xsDefine(xsGlobal, xsID("xsCounters"), xsVar(0), xsDontEnum);
		xsVar(0) = xsNewHostFunction(xs_callgrind_dump, 1);
		xsDefine(xsGlobal, xsID("callgrindDump"), xsVar(0), xsDontEnum);
		xsVar(0) = xsNewHostFunction(xs_resetStackPeak, 0);
		xsDefine(xsGlobal, xsID("xsResetStackPeak"), xsVar(0), xsDontEnum);
		xsVar(0) = xsNewObject();
		xsVar(1) = xsNewHostFunction(xs_cellmqtt_join_input, 5);
		xsDefine(xsVar(0), xsID("joinInput"), xsVar(1), xsDontEnum);
		xsVar(1) = xsNewHostFunction(xs_cellmqtt_frame_next, 3);
		xsDefine(xsVar(0), xsID("frameNext"), xsVar(1), xsDontEnum);
		xsVar(1) = xsNewHostFunction(xs_cellmqtt_token_key, 4);
		xsDefine(xsVar(0), xsID("tokenKey"), xsVar(1), xsDontEnum);
		xsVar(1) = xsNewHostFunction(xs_cellmqtt_digit_fields, 4);
		xsDefine(xsVar(0), xsID("digitFields"), xsVar(1), xsDontEnum);
		xsVar(1) = xsNewHostFunction(xs_cellmqtt_message_fields, 5);
		xsDefine(xsVar(0), xsID("messageFields"), xsVar(1), xsDontEnum);
		xsDefine(xsGlobal, xsID("nativeKernels"), xsVar(0), xsDontEnum);
		xsVar(0) = xsNewArray(0);
		for (i = argi + 1; i < argc; i++) {
			xsVar(1) = xsString(argv[i]);
			xsCall1(xsVar(0), xsID("push"), xsVar(1));
		}
		xsDefine(xsGlobal, xsID("scriptArgs"), xsVar(0), xsDontEnum);

		xsTry {
			if (frozen) {
				/* lockdown() looks harden up on the global. */
				xsVar(0) = xsNewHostFunction(fx_harden, 1);
				xsDefine(xsGlobal, xsID("harden"), xsVar(0), xsDontEnum);
				xsVar(0) = xsNewHostFunction(fx_lockdown, 0);
				xsDefine(xsGlobal, xsID("lockdown"), xsVar(0), xsDontEnum);
				xsCall0(xsGlobal, xsID("lockdown"));
			}
			if (module) {
				fxRunModuleFile(the, path);
				fxRunLoop(the);
				/* A module that throws rejects its import: xsnap's platform leaves the reason here. */
				if (xsTest(xsException)) {
					xsVar(0) = xsException;
					xsException = xsUndefined;
					xsThrow(xsVar(0));
				}
			}
			else {
				fxRunProgramFile(the, path);
				/* Promise jobs (and setImmediate-style timers, if any) run to completion. */
				fxRunLoop(the);
			}
		}
		xsCatch {
			/* An uncaught exception: report and fail instead of hanging or exiting 0. */
			xsVar(0) = xsException;
			fprintf(stderr, "xshost: uncaught exception: %s\n", xsToString(xsVar(0)));
			if (xsIsInstanceOf(xsVar(0), xsObjectPrototype) && xsHas(xsVar(0), xsID("stack"))) {
				xsVar(1) = xsGet(xsVar(0), xsID("stack"));
				if (xsTest(xsVar(1)))
					fprintf(stderr, "%s\n", xsToString(xsVar(1)));
			}
			status = 1;
		}
	}
	xsEndHost(machine);
	xsEndMetering(machine);
	fflush(stdout);
	if (gxUnhandledRejections && !status) {
		fprintf(stderr, "xshost: %d unhandled rejection(s)\n", gxUnhandledRejections);
		status = 1;
	}
	if (machine->abortStatus)
		status = machine->abortStatus;
	xsDeleteMachine(machine);
	xsTerminateSharedCluster();
	return status;
}
