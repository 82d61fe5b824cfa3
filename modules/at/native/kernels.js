// The kernels of ../kernels.ts, bound to their C implementations (kernels.c) on Moddable builds.
export function joinInput(bytes, words, stateAt, from, count) @ "xs_cellmqtt_join_input";
export function frameNext(bytes, words, stateAt) @ "xs_cellmqtt_frame_next";
export function tokenKey(bytes, start, end, names) @ "xs_cellmqtt_token_key";
export function digitFields(bytes, start, end, out) @ "xs_cellmqtt_digit_fields";
export function messageFields(bytes, start, end, out, at) @ "xs_cellmqtt_message_fields";
