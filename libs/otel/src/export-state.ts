/**
 * Whether this process exports spans (an OTLP endpoint or a test exporter was configured). Set once
 * by `startTracing` (sdk.ts); read by code that would otherwise pay for tracing on a hot path with
 * nothing to show for it, e.g. storing a trace context in the database so a later job can continue
 * the trace. Spans themselves are still created either way (their ids go into the logs).
 */
let exporting = false;

/** True once `startTracing` ran with an exporter; false otherwise (also in libraries' unit tests). */
export function spansExported(): boolean {
  return exporting;
}

/** For `startTracing` only. */
export function setSpansExported(value: boolean): void {
  exporting = value;
}
