/**
 * API-only tracing helpers, safe for any library (they use `@opentelemetry/api`, which is a no-op
 * until an app starts the SDK through `@geo/otel/sdk`).
 */
export { withSpan } from './with-span';
export { currentTraceIds, type TraceIds } from './trace-ids';
export { spansExported } from './export-state';
export { traceCarrier, contextFromCarrier, type TraceCarrier } from './carrier';
