import { context, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** Tracer for spans created by this project's own code (not by instrumentations). */
const TRACER_NAME = '@geo/otel';

/**
 * Runs `fn` inside a new active span. The span ends when `fn` settles; a thrown error is recorded
 * on the span (status ERROR) and rethrown unchanged.
 */
export async function withSpan<T>(name: string, fn: (span: Span) => Promise<T> | T, attributes?: Attributes): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, { attributes: attributes ?? {} }, context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error: unknown) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
