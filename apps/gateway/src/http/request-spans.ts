import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

const TRACER_NAME = '@geo/gateway';

/**
 * One SERVER span per HTTP request, continuing the caller's W3C trace context, and active while the
 * request is handled: the gRPC calls it makes to the nuget app (instrumented by the SDK) become its
 * children, so one push is one trace from the HTTP client to the database. The span ends when the
 * connection is done with the response, including when the client hangs up (no `onResponse` then).
 * API only: spans are no-ops until an app starts the SDK.
 */
export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const parent = propagation.extract(context.active(), request.headers);
    const route = request.routeOptions.url;
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `${request.method} ${route ?? '(unmatched)'}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0], ...(route === undefined ? {} : { 'http.route': route }) } },
      parent,
    );
    reply.raw.once('close', () => {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (!reply.raw.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response finished' });
      else if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // Everything after this hook (body parsing, handler, gRPC calls) runs inside the span's context.
    context.with(trace.setSpan(parent, span), done);
  });
}
