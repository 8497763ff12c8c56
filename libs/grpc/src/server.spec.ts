import { credentials, Metadata, status as GrpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  BlobTransferServiceClient,
  BlobTransferServiceService,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
  type BlobTransferServiceServer,
  type HealthCheckResponse,
  type RetrieveRequest,
  type RetrieveResponse,
} from '@geo/proto';
import { ErrorCodes, NotFoundError } from '@geo/domain';
import type { GeoSiteCredentials } from './auth/geo-jwt';
import { createGeoCallAuthenticator, geoAuthMetadata } from './auth/grpc-auth';
import { wrapServerStream } from './handlers';
import { startGrpcServer, type GrpcServerHandle } from './server';
import { GEO_CODE_METADATA_KEY, GEO_ERROR_CODE_METADATA_KEY } from './status-mapping';

const SITE = { accessKey: 'AKEYSECONDARY0000001', secret: 's'.repeat(40) };
const sites = new Map<string, GeoSiteCredentials>([[SITE.accessKey, { secret: SITE.secret, enabled: true }]]);
const authenticate = createGeoCallAuthenticator<RetrieveRequest, GeoSiteCredentials>({
  lookupSite: (key) => sites.get(key),
  expected: (req) => ({ replicable_name: req.replicableName, replicable_id: req.modelRecordId }),
});
const BLOB = Buffer.from('microsoft-pdb-7.00\0'.repeat(100));

/** A toy Retrieve: id 1 exists, id 2's file is missing, anything else is not found. */
const blobTransfer: BlobTransferServiceServer = {
  retrieve: wrapServerStream(async function* (req, call) {
    await authenticate(call);
    if (req.modelRecordId === 2) throw new NotFoundError('Packages::Nuget::Symbol #2 file not found', {}, ErrorCodes.FILE_NOT_FOUND);
    if (req.modelRecordId !== 1) throw new NotFoundError(`${req.replicableName} not found`);
    yield { part: { $case: 'header', header: { size: BLOB.length, checksum: '', contentType: 'application/octet-stream', blobKey: 'k/1' } } };
    for (let i = 0; i < BLOB.length; i += 512) yield { part: { $case: 'chunk', chunk: BLOB.subarray(i, i + 512) } };
  }),
};

function collect(stream: ClientReadableStream<RetrieveResponse>): Promise<RetrieveResponse[]> {
  return new Promise((resolve, reject) => {
    const items: RetrieveResponse[] = [];
    stream.on('data', (item: RetrieveResponse) => items.push(item));
    stream.on('error', reject);
    stream.on('end', () => resolve(items));
  });
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as ServiceError;
}

describe('startGrpcServer (in-process, loopback)', () => {
  let server: GrpcServerHandle;
  let health: HealthClient;
  let blobs: BlobTransferServiceClient;

  beforeAll(async () => {
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: BlobTransferServiceService, implementation: blobTransfer }] });
    health = new HealthClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    blobs = new BlobTransferServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    health?.close();
    blobs?.close();
    await server?.shutdown(1000);
  });

  const check = (service: string): Promise<HealthCheckResponse> =>
    new Promise((resolve, reject) => health.check({ service }, (err, res) => (err ? reject(err) : resolve(res))));
  const retrieve = (req: RetrieveRequest, metadata?: Metadata): Promise<RetrieveResponse[]> =>
    collect(blobs.retrieve(req, metadata ?? new Metadata()));
  const signed = (req: RetrieveRequest): Metadata =>
    geoAuthMetadata({ ...SITE, data: { replicable_name: req.replicableName, replicable_id: req.modelRecordId } });

  it('binds a real port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it('reports SERVING overall and for each registered service', async () => {
    await expect(check('')).resolves.toEqual({ status: ServingStatus.SERVING });
    await expect(check('geo.v1.BlobTransferService')).resolves.toEqual({ status: ServingStatus.SERVING });
  });

  it('answers NOT_FOUND for an unknown service name', async () => {
    expect((await failure(check('geo.v1.Nope'))).code).toBe(GrpcStatus.NOT_FOUND);
  });

  it('streams status changes to Watch', async () => {
    const seen: ServingStatus[] = [];
    const watch = health.watch({ service: 'geo.v1.Custom' });
    const two = new Promise<void>((resolve) =>
      watch.on('data', (res: HealthCheckResponse) => {
        seen.push(res.status);
        if (seen.length === 1) server.health.set('geo.v1.Custom', 'NOT_SERVING');
        if (seen.length === 2) resolve();
      }),
    );
    watch.on('error', () => undefined); // the cancel below surfaces as CANCELLED
    await two;
    watch.cancel();
    expect(seen).toEqual([ServingStatus.SERVICE_UNKNOWN, ServingStatus.NOT_SERVING]);
  });

  it('streams a blob to an authenticated caller: header first, then chunks', async () => {
    const req = { replicableName: 'packages_nuget_symbol', modelRecordId: 1 };
    const parts = await retrieve(req, signed(req));
    expect(parts[0]?.part).toEqual({ $case: 'header', header: { size: BLOB.length, checksum: '', contentType: 'application/octet-stream', blobKey: 'k/1' } });
    const chunks = parts.slice(1).map((p) => (p.part?.$case === 'chunk' ? p.part.chunk : Buffer.alloc(0)));
    expect(Buffer.concat(chunks).equals(BLOB)).toBe(true);
  });

  it('maps a thrown NotFoundError to NOT_FOUND with geo-error-code metadata', async () => {
    const req = { replicableName: 'packages_nuget_symbol', modelRecordId: 99 };
    const err = await failure(retrieve(req, signed(req)));
    expect(err.code).toBe(GrpcStatus.NOT_FOUND);
    expect(err.details).toBe('packages_nuget_symbol not found');
    expect(err.metadata.get(GEO_ERROR_CODE_METADATA_KEY)).toEqual([ErrorCodes.NOT_FOUND]);
  });

  it('marks a missing blob with geo_code FILE_NOT_FOUND', async () => {
    const req = { replicableName: 'packages_nuget_symbol', modelRecordId: 2 };
    const err = await failure(retrieve(req, signed(req)));
    expect(err.code).toBe(GrpcStatus.NOT_FOUND);
    expect(err.metadata.get(GEO_ERROR_CODE_METADATA_KEY)).toEqual([ErrorCodes.FILE_NOT_FOUND]);
    expect(err.metadata.get(GEO_CODE_METADATA_KEY)).toEqual(['FILE_NOT_FOUND']);
  });

  it.each([
    ['no authorization', () => new Metadata()],
    ['a malformed header', () => withAuth('Bearer abc')],
    ['a wrong secret', () => geoAuthMetadata({ ...SITE, secret: 'x'.repeat(40), data: { replicable_name: 'packages_nuget_symbol', replicable_id: 1 } })],
    ['a token bound to another record', () => geoAuthMetadata({ ...SITE, data: { replicable_name: 'packages_nuget_symbol', replicable_id: 7 } })],
  ])('rejects a call with %s as UNAUTHENTICATED', async (_label, metadata) => {
    const err = await failure(retrieve({ replicableName: 'packages_nuget_symbol', modelRecordId: 1 }, metadata()));
    expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(err.metadata.get(GEO_ERROR_CODE_METADATA_KEY)).toEqual([ErrorCodes.UNAUTHENTICATED]);
  });
});

function withAuth(value: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', value);
  return metadata;
}

describe('startGrpcServer bind failure', () => {
  it('rejects with UnavailableError when the port is taken', async () => {
    const first = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [] });
    try {
      const err: unknown = await startGrpcServer({ host: '127.0.0.1', port: first.port, services: [] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: ErrorCodes.UNAVAILABLE });
    } finally {
      await first.shutdown(100);
    }
  });
});
