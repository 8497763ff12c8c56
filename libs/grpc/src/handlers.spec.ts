import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  GetReplicablesResponse,
  RegistryCatalogServiceClient,
  RegistryCatalogServiceService,
  type GetReplicablesRequest,
  type ListReplicablesResponse,
  type RegistryCatalogServiceServer,
} from '@geo/proto';
import { ErrorCodes, UnavailableError } from '@geo/domain';
import { wrapServerStream, wrapUnary } from './handlers';
import type { LoggerPort } from '@geo/domain';
import { startGrpcServer, type GrpcServerHandle } from './server';
import { fromGrpcError, GEO_ERROR_CODE_METADATA_KEY, INTERNAL_ERROR_DETAILS } from './status-mapping';

const logged: Array<{ level: string; obj: object; msg: string }> = [];
const logger: LoggerPort = {
  info: () => undefined,
  warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
};
let streamFinallyRan = false;

const catalogue: RegistryCatalogServiceServer = {
  getReplicables: wrapUnary(async (req: GetReplicablesRequest) => {
    if (req.replicableName === 'bug') throw new Error('relation "secret_table" does not exist');
    if (req.replicableName === 'down') throw new UnavailableError('primary database unreachable');
    return GetReplicablesResponse.fromPartial({
      replicables: req.modelRecordIds.map((id) => ({ replicableName: req.replicableName, modelRecordId: id, size: id * 10 })),
    });
  }, { logger }),
  listReplicables: wrapServerStream(async function* (req) {
    try {
      for (let id = req.idFrom; id <= req.idTo; id += 1) {
        if (req.replicableName === 'fail-at-3' && id === 3) throw new UnavailableError('lost the primary');
        yield { replicable: { replicableName: req.replicableName, modelRecordId: id, size: 1, blobKey: `k/${id}`, fileStore: 1, verificationState: 0, checksum: '', attributes: {} } };
      }
      if (req.replicableName === 'endless') for (;;) yield { replicable: undefined };
    } finally {
      streamFinallyRan = true;
    }
  }, { logger }),
  describeCatalog: wrapUnary(async () => ({ maxModelRecordId: 0 }), { logger }),
};

describe('wrapUnary / wrapServerStream', () => {
  let server: GrpcServerHandle;
  let client: RegistryCatalogServiceClient;

  beforeAll(async () => {
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: RegistryCatalogServiceService, implementation: catalogue }] });
    client = new RegistryCatalogServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
  });
  beforeEach(() => {
    logged.length = 0;
  });

  const get = (req: GetReplicablesRequest): Promise<GetReplicablesResponse> =>
    new Promise((resolve, reject) => client.getReplicables(req, (err, res) => (err ? reject(err) : resolve(res))));
  const list = (replicableName: string, idTo: number): Promise<{ ids: number[]; err?: ServiceError }> =>
    new Promise((resolve) => {
      const ids: number[] = [];
      const stream = client.listReplicables({ replicableName, idFrom: 1, idTo }, new Metadata());
      stream.on('data', (res: ListReplicablesResponse) => ids.push(res.replicable?.modelRecordId ?? -1));
      stream.on('error', (err: ServiceError) => resolve({ ids, err }));
      stream.on('end', () => resolve({ ids }));
    });

  it('returns the handler result', async () => {
    const res = await get({ replicableName: 'packages_nuget_symbol', modelRecordIds: [4, 5] });
    expect(res.replicables.map((r) => [r.modelRecordId, r.size])).toEqual([[4, 40], [5, 50]]);
  });

  it('hides an unexpected error behind INTERNAL and logs it as an error', async () => {
    const err = (await get({ replicableName: 'bug', modelRecordIds: [] }).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(GrpcStatus.INTERNAL);
    expect(err.details).toBe(INTERNAL_ERROR_DETAILS);
    expect(err.details).not.toMatch(/secret_table/);
    expect(logged).toEqual([expect.objectContaining({ level: 'error', obj: expect.objectContaining({ grpcPath: '/geo.v1.RegistryCatalogService/GetReplicables' }) })]);
  });

  it('sends a GeoError with its code and the client rebuilds it', async () => {
    const err: unknown = await get({ replicableName: 'down', modelRecordIds: [] }).catch((e: unknown) => e);
    expect((err as ServiceError).code).toBe(GrpcStatus.UNAVAILABLE);
    const geo = fromGrpcError(err);
    expect([geo.code, geo.message, geo.retryable]).toEqual([ErrorCodes.UNAVAILABLE, 'primary database unreachable', true]);
    expect(logged.map((l) => l.level)).toEqual(['warn']);
  });

  it('streams every item in order and ends', async () => {
    await expect(list('packages_nuget_symbol', 5)).resolves.toEqual({ ids: [1, 2, 3, 4, 5] });
  });

  it('delivers the items written before a failure, then the mapped status', async () => {
    const { ids, err } = await list('fail-at-3', 5);
    expect(ids).toEqual([1, 2]);
    expect(err?.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(err?.metadata.get(GEO_ERROR_CODE_METADATA_KEY)).toEqual([ErrorCodes.UNAVAILABLE]);
  });

  it('stops the handler when the client cancels', async () => {
    streamFinallyRan = false;
    const stream = client.listReplicables({ replicableName: 'endless', idFrom: 1, idTo: 1 });
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.cancel();
    for (let i = 0; i < 50 && !streamFinallyRan; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(streamFinallyRan).toBe(true);
  });
});

describe('GrpcServerHandle.shutdown', () => {
  it('cancels calls still running after the grace period', async () => {
    logged.length = 0;
    streamFinallyRan = false;
    const server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [{ definition: RegistryCatalogServiceService, implementation: catalogue }],
      logger,
    });
    const client = new RegistryCatalogServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    try {
      const stream = client.listReplicables({ replicableName: 'endless', idFrom: 1, idTo: 1 });
      const ended = new Promise<number>((resolve) => {
        stream.on('error', (err: ServiceError) => resolve(err.code));
        stream.on('end', () => resolve(GrpcStatus.OK));
      });
      // The call must be running on the server before shutdown, or there is nothing to cancel.
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.on('data', () => undefined);
      const started = Date.now();
      await server.shutdown(200);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(2000);
      expect([GrpcStatus.CANCELLED, GrpcStatus.UNAVAILABLE]).toContain(await ended);
      expect(logged.some((l) => l.level === 'warn' && l.msg.includes('grace period over'))).toBe(true);
      for (let i = 0; i < 50 && !streamFinallyRan; i += 1) await new Promise((r) => setTimeout(r, 20));
      expect(streamFinallyRan).toBe(true);
    } finally {
      client.close();
      await server.shutdown(0);
    }
  });
});
