import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  NugetServiceClient,
  NugetServiceService,
  PackageKind,
  PushPackageResponse,
  type PushPackageRequest,
} from '@geo/proto';
import { ErrorCodes, isGeoError, ValidationError, type LoggerPort } from '@geo/domain';
import { CLIENT_CANCELLED_MESSAGE, wrapClientStream } from './handlers';
import { startGrpcServer, type GrpcServerHandle } from './server';
import { GEO_ERROR_CODE_METADATA_KEY, INTERNAL_ERROR_DETAILS } from './status-mapping';

const logged: Array<{ level: string; obj: object; msg: string }> = [];
const logger: LoggerPort = {
  info: () => undefined,
  warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
};

/** The server's view of the last call: what it read and how its iteration ended. */
let lastCall: { chunks: number; failure: unknown; finished: boolean } = { chunks: 0, failure: undefined, finished: false };
let chunkArrived: (() => void) | undefined;

const LIMIT = 10;

/**
 * A push handler in miniature: header first, then chunks whose total may not exceed LIMIT bytes.
 * projectId selects behaviour: 2 throws a bug after the header.
 */
const pushPackage = wrapClientStream<PushPackageRequest, PushPackageResponse>(async (messages) => {
  lastCall = { chunks: 0, failure: undefined, finished: false };
  let total = 0;
  let projectId = 0;
  try {
    for await (const message of messages) {
      const part = message.part;
      if (part?.$case === 'header') {
        projectId = part.header.projectId;
        if (projectId === 2) throw new Error('relation "secret_table" does not exist');
        continue;
      }
      if (part?.$case !== 'chunk') throw new ValidationError('empty message');
      lastCall.chunks += 1;
      chunkArrived?.();
      total += part.chunk.byteLength;
      if (total > LIMIT) throw new ValidationError(`package larger than ${LIMIT} bytes`, {}, ErrorCodes.TOO_LARGE);
    }
    return PushPackageResponse.fromPartial({ packageId: projectId, name: 'bytes', version: String(total) });
  } catch (err: unknown) {
    lastCall.failure = err;
    throw err;
  } finally {
    lastCall.finished = true;
  }
}, { logger });

const header = (projectId: number): PushPackageRequest => ({
  part: { $case: 'header', header: { projectId, apiKey: 'k', kind: PackageKind.PACKAGE_KIND_NUPKG, declaredSize: 0 } },
});
const chunk = (bytes: number): PushPackageRequest => ({ part: { $case: 'chunk', chunk: Buffer.alloc(bytes, 1) } });

describe('wrapClientStream', () => {
  let server: GrpcServerHandle;
  let client: NugetServiceClient;

  beforeAll(async () => {
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: NugetServiceService, implementation: { pushPackage } }] });
    client = new NugetServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
  });
  beforeEach(() => {
    logged.length = 0;
    chunkArrived = undefined;
  });

  /** Sends the messages and half-closes; resolves with the response or the error. */
  const push = (messages: PushPackageRequest[]): Promise<{ res?: PushPackageResponse; err?: ServiceError }> =>
    new Promise((resolve) => {
      const call = client.pushPackage((err, res) => resolve(err ? { err } : { res }));
      for (const m of messages) call.write(m);
      call.end();
    });

  it('hands every message to the handler in order and returns its response', async () => {
    const { res, err } = await push([header(7), chunk(3), chunk(4), chunk(2)]);
    expect(err).toBeUndefined();
    expect(res).toMatchObject({ packageId: 7, version: '9' });
    expect(lastCall).toEqual({ chunks: 3, failure: undefined, finished: true });
  });

  it('answers with the mapped status as soon as the handler throws, before the client finished sending', async () => {
    const result = await new Promise<ServiceError | undefined>((resolve) => {
      const call = client.pushPackage((err) => resolve(err ?? undefined));
      call.write(header(1));
      call.write(chunk(6));
      call.write(chunk(6));
      // No end(): the status must arrive while the client still holds the stream open.
    });
    expect(result?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(result?.details).toBe(`package larger than ${LIMIT} bytes`);
    expect(result?.metadata.get(GEO_ERROR_CODE_METADATA_KEY)).toEqual([ErrorCodes.TOO_LARGE]);
    expect(lastCall.chunks).toBe(2);
    expect(logged.map((l) => l.level)).toEqual(['warn']);
  });

  it('hides an unexpected error behind INTERNAL and logs it as an error', async () => {
    const { err } = await push([header(2), chunk(1)]);
    expect(err?.code).toBe(GrpcStatus.INTERNAL);
    expect(err?.details).toBe(INTERNAL_ERROR_DETAILS);
    expect(logged).toEqual([expect.objectContaining({ level: 'error', obj: expect.objectContaining({ grpcPath: '/geo.v1.NugetService/PushPackage' }) })]);
  });

  it('fails the handler\'s iteration with UnavailableError when the client cancels mid-stream', async () => {
    const arrived = new Promise<void>((resolve) => {
      chunkArrived = resolve;
    });
    const call = client.pushPackage(() => undefined);
    call.write(header(3));
    call.write(chunk(1));
    await arrived;
    call.cancel();
    for (let i = 0; i < 100 && !lastCall.finished; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(lastCall.finished).toBe(true);
    const failure = lastCall.failure;
    expect(isGeoError(failure) ? [failure.code, failure.message] : failure).toEqual([ErrorCodes.UNAVAILABLE, CLIENT_CANCELLED_MESSAGE]);
  });
});
