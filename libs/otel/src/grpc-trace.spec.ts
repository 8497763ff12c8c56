/**
 * One trace across two gRPC "apps" in one process: a client calls app A, whose handler calls app B.
 * Asserts the span chain A-server → A's CLIENT span to B → B-server, all under one trace id.
 *
 * Jest loads modules through its own registry, not Node's `Module.prototype.require`, so the
 * require hook that `registerInstrumentations` installs never fires here. Instead of replacing the
 * instrumentation with hand-written propagation, we apply the SAME GrpcInstrumentation patch
 * (from the handle `startTracing` returns) to the `@grpc/grpc-js` exports jest loaded: the spans
 * and metadata propagation under test are the instrumentation's own. In real processes the hook
 * does this on first require (apps/app-lifecycle.int.spec.ts covers the process path).
 */
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type * as GrpcJs from '@grpc/grpc-js';
import { currentTraceIds, withSpan, type TraceIds } from './index';
import { startTracing, type TracingHandle } from './sdk';

interface Msg {
  readonly text: string;
}

const json = {
  serialize: (value: Msg): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): Msg => JSON.parse(bytes.toString('utf8')) as Msg,
};

function unaryService(service: string, method: string): GrpcJs.ServiceDefinition {
  return {
    [method]: {
      path: `/${service}/${method}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: json.serialize,
      requestDeserialize: json.deserialize,
      responseSerialize: json.serialize,
      responseDeserialize: json.deserialize,
    },
  };
}

const A_SERVICE = unaryService('test.AppA', 'Hop');
const B_SERVICE = unaryService('test.AppB', 'Echo');

type UnaryClient = GrpcJs.Client & Record<string, (req: Msg, cb: (err: GrpcJs.ServiceError | null, res?: Msg) => void) => void>;

function callUnary(client: UnaryClient, method: string, req: Msg): Promise<Msg> {
  return new Promise((resolve, reject) => {
    client[method]!(req, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

describe('gRPC trace propagation between two apps', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let grpc: typeof GrpcJs;
  const servers: GrpcJs.Server[] = [];
  const clients: GrpcJs.Client[] = [];
  let idsSeenInB: TraceIds | undefined;

  async function listen(definition: GrpcJs.ServiceDefinition, impl: GrpcJs.UntypedServiceImplementation): Promise<number> {
    const server = new grpc.Server();
    server.addService(definition, impl);
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  function clientFor(definition: GrpcJs.ServiceDefinition, name: string, port: number): UnaryClient {
    const Ctor = grpc.makeGenericClientConstructor(definition, name);
    const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as UnaryClient;
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    // Tracing first, grpc-js second: the order real apps follow.
    tracing = startTracing({ serviceName: 'grpc-trace-test', exporter });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after startTracing
    grpc = require('@grpc/grpc-js') as typeof GrpcJs;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- version gate of the patch
    const { version } = require('@grpc/grpc-js/package.json') as { version: string };
    const grpcDefinitions = tracing.instrumentations
      .flatMap((i) => i.getModuleDefinitions())
      .filter((d) => d.name === '@grpc/grpc-js');
    expect(grpcDefinitions).toHaveLength(1);
    for (const d of grpcDefinitions) d.patch?.(grpc, version);

    const portB = await listen(B_SERVICE, {
      Echo: (call: GrpcJs.ServerUnaryCall<Msg, Msg>, cb: GrpcJs.sendUnaryData<Msg>) => {
        idsSeenInB = currentTraceIds();
        cb(null, { text: `B:${call.request.text}` });
      },
    });
    const toB = clientFor(B_SERVICE, 'AppB', portB);
    const portA = await listen(A_SERVICE, {
      Hop: (call: GrpcJs.ServerUnaryCall<Msg, Msg>, cb: GrpcJs.sendUnaryData<Msg>) => {
        callUnary(toB, 'Echo', { text: `A:${call.request.text}` }).then(
          (res) => cb(null, res),
          (err: GrpcJs.ServiceError) => cb(err),
        );
      },
    });
    const toA = clientFor(A_SERVICE, 'AppA', portA);
    await expect(withSpan('test-root', () => callUnary(toA, 'Hop', { text: 'hi' }))).resolves.toEqual({ text: 'B:A:hi' });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) s.forceShutdown();
    await tracing.shutdown();
  });

  function only(spans: ReadableSpan[], name: string, kind: SpanKind): ReadableSpan {
    const found = spans.filter((s) => s.name === name && s.kind === kind);
    expect(found).toHaveLength(1);
    return found[0]!;
  }

  it('links B-server to A-server through A’s CLIENT span, under one trace id', () => {
    const spans = exporter.getFinishedSpans();
    const aServer = only(spans, 'grpc.test.AppA/Hop', SpanKind.SERVER);
    const aToB = only(spans, 'grpc.test.AppB/Echo', SpanKind.CLIENT);
    const bServer = only(spans, 'grpc.test.AppB/Echo', SpanKind.SERVER);
    const root = only(spans, 'test-root', SpanKind.INTERNAL);

    const traceId = root.spanContext().traceId;
    for (const s of [aServer, aToB, bServer]) expect(s.spanContext().traceId).toBe(traceId);
    expect(bServer.parentSpanContext?.spanId).toBe(aToB.spanContext().spanId);
    expect(aToB.parentSpanContext?.spanId).toBe(aServer.spanContext().spanId);
    // A-server's parent is the test's CLIENT span to A, itself a child of the root span.
    const clientToA = only(spans, 'grpc.test.AppA/Hop', SpanKind.CLIENT);
    expect(aServer.parentSpanContext?.spanId).toBe(clientToA.spanContext().spanId);
    expect(clientToA.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  });

  it('exposes the active server span to log correlation inside the handler', () => {
    const bServer = only(exporter.getFinishedSpans(), 'grpc.test.AppB/Echo', SpanKind.SERVER);
    expect(idsSeenInB).toEqual({ trace_id: bServer.spanContext().traceId, span_id: bServer.spanContext().spanId });
  });
});
