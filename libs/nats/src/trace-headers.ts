import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

/** Writes propagation fields (W3C `traceparent`, `tracestate`, baggage) into NATS headers. */
export const natsHeadersSetter: TextMapSetter<MsgHdrs> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

/** Reads propagation fields back from NATS headers (absent headers read as empty). */
export const natsHeadersGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys(carrier) {
    return carrier?.keys() ?? [];
  },
  get(carrier, key) {
    return carrier?.has(key) === true ? carrier.get(key) : undefined;
  },
};

/** Injects the active (or given) trace context into `headers` with the registered propagator. */
export function injectTraceContext(headers: MsgHdrs, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, natsHeadersSetter);
}

/**
 * The publisher's trace context carried by a message, on top of ROOT: a consumer's own ambient
 * context must not leak into the message's trace.
 */
export function extractTraceContext(msg: { readonly headers?: MsgHdrs | undefined }): Context {
  return propagation.extract(ROOT_CONTEXT, msg.headers, natsHeadersGetter);
}
