import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/**
 * A trace context at rest: the propagation fields (W3C `traceparent`, `tracestate`) as the
 * registered propagator writes them, e.g. stored in a `jsonb` column or kept with a queued job,
 * so work done later, in another process, continues the trace.
 */
export type TraceCarrier = Readonly<Record<string, string>>;

/** The propagation fields of `ctx` (default: the active context); null when there is nothing to carry. */
export function traceCarrier(ctx: Context = context.active()): TraceCarrier | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length === 0 ? null : carrier;
}

/**
 * The context a carrier holds, on top of ROOT (never the caller's ambient context, which must not
 * leak into the carried trace); ROOT itself when there is no carrier.
 */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  return carrier === null || carrier === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, carrier);
}
