import { isSpanContextValid, trace } from '@opentelemetry/api';

/** Ids of the active span in the W3C hex form, for log correlation (`trace_id`, `span_id`). */
export interface TraceIds {
  readonly trace_id: string;
  readonly span_id: string;
}

/** The active span's ids, or `undefined` outside any (valid) span. */
export function currentTraceIds(): TraceIds | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (ctx === undefined || !isSpanContextValid(ctx)) return undefined;
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}
