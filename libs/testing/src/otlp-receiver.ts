/**
 * A tiny OTLP/gRPC trace receiver for tests (TOOLCHAIN §6: no Jaeger or collector on these
 * machines): `opentelemetry.proto.collector.trace.v1.TraceService/Export` on 127.0.0.1 (a free
 * port), decoded with a hand-written subset of the OTLP protos. Apps export to it with
 * `OTEL_EXPORTER_OTLP_ENDPOINT=<receiver.endpoint>`. Spans are kept in memory and, with `file`,
 * appended to a JSONL file (one span per line) for a post-mortem.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** OTLP's wire SpanKind (NOT the API's enum, where SERVER is 1 and CLIENT 2). */
export const OtlpSpanKind = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export type OtlpSpanKindValue = (typeof OtlpSpanKind)[keyof typeof OtlpSpanKind];

/** One received span, ids as lowercase hex. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: OtlpSpanKindValue;
  /** The exporting process's `service.name`. */
  readonly service: string;
  /** The exporting process's resource attributes (e.g. `geo.site.name`). */
  readonly resource: Readonly<Record<string, string | number | boolean>>;
  readonly scope: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`, the value for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  /** Every span received so far, in arrival order. */
  spans(): readonly ReceivedSpan[];
  close(): Promise<void>;
}

export interface OtlpReceiverOptions {
  /** Append each span as one JSON line to this file. */
  readonly file?: string;
}

interface WireAnyValue {
  readonly value?: 'string_value' | 'bool_value' | 'int_value' | 'double_value';
  readonly string_value?: string;
  readonly bool_value?: boolean;
  readonly int_value?: string;
  readonly double_value?: number;
}
interface WireKeyValue {
  readonly key: string;
  readonly value?: WireAnyValue | null;
}
interface WireSpan {
  readonly trace_id: Buffer;
  readonly span_id: Buffer;
  readonly parent_span_id: Buffer;
  readonly name: string;
  readonly kind: number;
  readonly start_time_unix_nano: string;
  readonly end_time_unix_nano: string;
  readonly attributes: readonly WireKeyValue[];
  readonly status?: { readonly code: number } | null;
}
interface WireRequest {
  readonly resource_spans: ReadonlyArray<{
    readonly resource?: { readonly attributes: readonly WireKeyValue[] } | null;
    readonly scope_spans: ReadonlyArray<{ readonly scope?: { readonly name: string } | null; readonly spans: readonly WireSpan[] }>;
  }>;
}

const PROTO_FILE = join(__dirname, 'otlp', 'otlp-trace-subset.proto');

function attributeValue(v: WireAnyValue | null | undefined): string | number | boolean {
  switch (v?.value) {
    case 'string_value':
      return v.string_value ?? '';
    case 'bool_value':
      return v.bool_value ?? false;
    case 'int_value':
      return Number(v.int_value ?? 0);
    case 'double_value':
      return v.double_value ?? 0;
    case undefined:
      return '';
  }
}

function attributes(kvs: readonly WireKeyValue[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, attributeValue(kv.value)]));
}

/** Flattens one Export request into spans. */
function spansOf(request: WireRequest): ReceivedSpan[] {
  return request.resource_spans.flatMap((rs) => {
    const resource = attributes(rs.resource?.attributes);
    const service = String(resource['service.name'] ?? '');
    return rs.scope_spans.flatMap((ss) =>
      ss.spans.map(
        (s): ReceivedSpan => ({
          traceId: s.trace_id.toString('hex'),
          spanId: s.span_id.toString('hex'),
          parentSpanId: s.parent_span_id.toString('hex'),
          name: s.name,
          kind: s.kind as OtlpSpanKindValue,
          service,
          resource,
          scope: ss.scope?.name ?? '',
          attributes: attributes(s.attributes),
          statusCode: s.status?.code ?? 0,
          startTimeUnixNano: s.start_time_unix_nano,
          endTimeUnixNano: s.end_time_unix_nano,
        }),
      ),
    );
  });
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const definition = protoLoader.loadSync(PROTO_FILE, { keepCase: true, longs: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    opentelemetry: { proto: { collector: { trace: { v1: { TraceService: grpc.ServiceClientConstructor } } } } };
  };
  const service = loaded.opentelemetry.proto.collector.trace.v1.TraceService.service;
  const received: ReceivedSpan[] = [];
  const server = new grpc.Server();
  server.addService(service, {
    Export: (call: grpc.ServerUnaryCall<WireRequest, object>, callback: grpc.sendUnaryData<object>) => {
      const spans = spansOf(call.request);
      received.push(...spans);
      if (options.file !== undefined && spans.length > 0) appendFileSync(options.file, spans.map((s) => `${JSON.stringify(s)}\n`).join(''));
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
