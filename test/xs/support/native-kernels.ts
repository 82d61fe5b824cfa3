/**
 * The engine's kernels as the XS test host provides them: the C functions of
 * modules/at/native/kernels.c, compiled into the host (the global `nativeKernels`). XS builds of
 * the engine import this module in place of modules/at/kernels.ts (scripts/xs/host.ts), as a
 * Moddable build binds `cellmqtt/at/kernels` to the same C.
 */
import type * as Kernels from "../../../modules/at/kernels.ts";

const native = (globalThis as unknown as { nativeKernels: typeof Kernels }).nativeKernels;

export const joinInput = native.joinInput;
export const frameNext = native.frameNext;
export const tokenKey = native.tokenKey;
export const digitFields = native.digitFields;
export const messageFields = native.messageFields;
