import { createHash } from 'node:crypto';
import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ErrorCodes } from '@geo/domain';
import { GEO_ERROR_CODE_METADATA_KEY, startGrpcServer, type GrpcServerHandle } from '@geo/grpc';
import {
  NugetServiceClient,
  NugetServiceService,
  PackageKind,
  type CreateNamespaceResponse,
  type CreateProjectResponse,
  type DeletePackageResponse,
  type DownloadSymbolFileRequest,
  type FindSymbolFileResponse,
  type GetProjectResponse,
  type ListNamespacesResponse,
  type ListProjectsResponse,
  type DownloadSymbolFileResponse,
  type PushPackageRequest,
  type PushPackageResponse,
  type SymbolFile,
} from '@geo/proto';
import { buildNupkg, buildSnupkg, createTestDatabase, readFixture, type TestDatabase } from '@geo/testing';
import { createNugetService } from './grpc/nuget-service';
import { createNugetHarness, TEST_LIMITS, type NugetHarness } from './testing/nuget-harness';

const NUPKG = readFixture('baget/TestData.1.2.3.nupkg');
const SNUPKG = readFixture('baget/TestData.1.2.3.snupkg');
const CHECKSUM = 'd81ef71657dda22aed4a22d29e9c981bede9411ab2722b8c480067ab2180fbd7';
const SIGNATURE = '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF';
/** The service under test accepts packages up to this size (the fixtures are a few KiB). */
const MAX_PACKAGE_BYTES = 64 * 1024;
const CHUNK = 4096;

type Outcome<T> = { ok: T } | { err: ServiceError };

/** Runs one unary call (`start` passes the callback to the client method) and settles with its outcome. */
function callUnary<Res>(start: (callback: (err: ServiceError | null, res: Res) => void) => unknown): Promise<Outcome<Res>> {
  return new Promise((resolve) => {
    start((err, res) => resolve(err ? { err } : { ok: res }));
  });
}

function geoCode(outcome: Outcome<unknown>): [GrpcStatus | 'ok', unknown] {
  if ('ok' in outcome) return ['ok', undefined];
  return [outcome.err.code, outcome.err.metadata.get(GEO_ERROR_CODE_METADATA_KEY)[0]];
}

describe('NugetService over gRPC', () => {
  let db: TestDatabase;
  let h: NugetHarness;
  let server: GrpcServerHandle;
  let client: NugetServiceClient;
  let project: { projectId: number; apiKey: string };

  beforeAll(async () => {
    db = await createTestDatabase('geo_nuget_grpc');
    h = await createNugetHarness(db.url, { ...TEST_LIMITS, maxPackageBytes: MAX_PACKAGE_BYTES });
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: NugetServiceService, implementation: createNugetService(h.deps) }] });
    client = new NugetServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    project = await h.createProject('grpc');
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
    await h?.close();
    await db?.drop();
  });

  function push(kind: PackageKind, bytes: Buffer, options: { apiKey?: string; declaredSize?: number; metadata?: Metadata } = {}): Promise<Outcome<PushPackageResponse>> {
    return new Promise((resolve) => {
      const call = client.pushPackage(options.metadata ?? new Metadata(), (err, res) => resolve(err ? { err } : { ok: res }));
      const header = { projectId: project.projectId, apiKey: options.apiKey ?? project.apiKey, kind, declaredSize: options.declaredSize ?? bytes.byteLength };
      call.write({ part: { $case: 'header', header } } satisfies PushPackageRequest);
      for (let offset = 0; offset < bytes.byteLength; offset += CHUNK) call.write({ part: { $case: 'chunk', chunk: bytes.subarray(offset, offset + CHUNK) } });
      call.end();
    });
  }

  function download(request: DownloadSymbolFileRequest): Promise<{ header?: SymbolFile; bytes: Buffer; chunks: number; err?: ServiceError }> {
    return new Promise((resolve) => {
      let header: SymbolFile | undefined;
      const parts: Buffer[] = [];
      const stream = client.downloadSymbolFile(request);
      stream.on('data', (message: DownloadSymbolFileResponse) => {
        if (message.part?.$case === 'header') header = message.part.header;
        if (message.part?.$case === 'chunk') parts.push(message.part.chunk);
      });
      stream.on('error', (err: ServiceError) => resolve({ header, bytes: Buffer.concat(parts), chunks: parts.length, err }));
      stream.on('end', () => resolve({ header, bytes: Buffer.concat(parts), chunks: parts.length }));
    });
  }

  const ssqp = (symbolChecksum: string): DownloadSymbolFileRequest => ({
    projectId: project.projectId,
    fileName: 'testdata.pdb',
    signature: SIGNATURE,
    sameFileName: 'testdata.pdb',
    symbolChecksum,
  });

  it('pushes the fixture pair in chunks, then serves the PDB by find and a streamed download', async () => {
    const nupkg = await push(PackageKind.PACKAGE_KIND_NUPKG, NUPKG);
    expect(nupkg).toEqual({ ok: expect.objectContaining({ name: 'TestData', version: '1.2.3', symbolFiles: [] }) });
    const md = new Metadata();
    md.set('x-request-id', 'req-grpc-1');
    const snupkg = await push(PackageKind.PACKAGE_KIND_SNUPKG, SNUPKG, { metadata: md });
    if (!('ok' in snupkg)) throw snupkg.err;
    expect(snupkg.ok.symbolFiles).toEqual([
      expect.objectContaining({ file: 'testdata.pdb', filePath: 'lib/net5.0/TestData.pdb', signature: SIGNATURE, size: 9516, fileSha256: CHECKSUM, projectId: project.projectId }),
    ]);
    expect(snupkg.ok.symbolFiles[0]?.createdAt).toBeInstanceOf(Date);

    const found = await callUnary<FindSymbolFileResponse>((cb) => client.findSymbolFile(ssqp(`SHA256:${CHECKSUM}`), cb));
    expect(found).toEqual({ ok: { symbolFile: snupkg.ok.symbolFiles[0] } });

    const got = await download(ssqp(`SHA256:${CHECKSUM}`));
    expect(got.err).toBeUndefined();
    expect(got.header).toEqual(snupkg.ok.symbolFiles[0]);
    expect(createHash('sha256').update(got.bytes).digest('hex')).toBe('0d99d8742c9f630a20ba9fd742cb05aa0cf68eb07ff229b0e8f40d4fdda6fbc6');
  });

  it('maps lookup failures to statuses with the GEO code: wrong checksum NOT_FOUND, no checksum INVALID_ARGUMENT', async () => {
    const wrong = await download(ssqp(`SHA256:${'1'.repeat(64)}`));
    expect([wrong.err?.code, wrong.header, wrong.chunks]).toEqual([GrpcStatus.NOT_FOUND, undefined, 0]);
    const none = await download(ssqp(''));
    expect([none.err?.code, none.err?.details]).toEqual([GrpcStatus.INVALID_ARGUMENT, 'Missing checksum header']);
    expect(geoCode(await callUnary<FindSymbolFileResponse>((cb) => client.findSymbolFile(ssqp(''), cb)))).toEqual([GrpcStatus.INVALID_ARGUMENT, ErrorCodes.INVALID_ARGUMENT]);
  });

  it('refuses an upload as soon as it crosses the size limit (TOO_LARGE) and stores nothing', async () => {
    const keysBefore = await h.blobKeys();
    const oversized = Buffer.concat([SNUPKG, Buffer.alloc(MAX_PACKAGE_BYTES)]);
    // declared_size 0 = unknown, so the limit must be enforced while receiving.
    const outcome = await push(PackageKind.PACKAGE_KIND_SNUPKG, oversized, { declaredSize: 0 });
    expect(geoCode(outcome)).toEqual([GrpcStatus.INVALID_ARGUMENT, ErrorCodes.TOO_LARGE]);
    const declared = await push(PackageKind.PACKAGE_KIND_SNUPKG, SNUPKG, { declaredSize: MAX_PACKAGE_BYTES + 1 });
    expect(geoCode(declared)).toEqual([GrpcStatus.INVALID_ARGUMENT, ErrorCodes.TOO_LARGE]);
    expect(await h.blobKeys()).toEqual(keysBefore);
  });

  it('maps push failures: wrong key UNAUTHENTICATED, malformed package INVALID_ARGUMENT, duplicate ALREADY_EXISTS, no package NOT_FOUND', async () => {
    expect(geoCode(await push(PackageKind.PACKAGE_KIND_NUPKG, NUPKG, { apiKey: 'wrong' }))).toEqual([GrpcStatus.UNAUTHENTICATED, ErrorCodes.UNAUTHENTICATED]);
    expect(geoCode(await push(PackageKind.PACKAGE_KIND_NUPKG, Buffer.from('not a zip')))).toEqual([GrpcStatus.INVALID_ARGUMENT, ErrorCodes.INVALID_ARGUMENT]);
    expect(geoCode(await push(PackageKind.PACKAGE_KIND_NUPKG, NUPKG))).toEqual([GrpcStatus.ALREADY_EXISTS, ErrorCodes.ALREADY_EXISTS]);
    // A symbol package without PDBs is malformed; that is found before any package lookup.
    const empty = buildSnupkg({ id: 'NoSuchPackage', version: '1.0.0', pdbs: [] });
    expect(geoCode(await push(PackageKind.PACKAGE_KIND_SNUPKG, empty))).toEqual([GrpcStatus.INVALID_ARGUMENT, ErrorCodes.INVALID_ARGUMENT]);
    // TestData 1.2.3 exists in the first project only.
    const other = await h.createProject('grpc-other');
    const outcome = await new Promise<Outcome<PushPackageResponse>>((resolve) => {
      const call = client.pushPackage((err, res) => resolve(err ? { err } : { ok: res }));
      call.write({ part: { $case: 'header', header: { projectId: other.projectId, apiKey: other.apiKey, kind: PackageKind.PACKAGE_KIND_SNUPKG, declaredSize: 0 } } });
      call.write({ part: { $case: 'chunk', chunk: SNUPKG } });
      call.end();
    });
    expect(geoCode(outcome)).toEqual([GrpcStatus.NOT_FOUND, ErrorCodes.NOT_FOUND]);
  });

  it('stores nothing when the client cancels in the middle of an upload', async () => {
    await push(PackageKind.PACKAGE_KIND_NUPKG, buildNupkg({ id: 'Cancelled', version: '1.0.0' }));
    const keysBefore = await h.blobKeys();
    const symbolsBefore = await h.count('packages_nuget_symbols');
    const errored = new Promise<ServiceError>((resolve) => {
      const call = client.pushPackage((err) => {
        if (err) resolve(err);
      });
      call.write({ part: { $case: 'header', header: { projectId: project.projectId, apiKey: project.apiKey, kind: PackageKind.PACKAGE_KIND_SNUPKG, declaredSize: 0 } } });
      call.write({ part: { $case: 'chunk', chunk: SNUPKG.subarray(0, 1000) } });
      setTimeout(() => call.cancel(), 50);
    });
    expect((await errored).code).toBe(GrpcStatus.CANCELLED);
    await new Promise((r) => setTimeout(r, 200));
    expect(await h.blobKeys()).toEqual(keysBefore);
    expect(await h.count('packages_nuget_symbols')).toBe(symbolsBefore);
  });

  it('deletes a package and reports the number of symbols removed', async () => {
    const deleted = await callUnary<DeletePackageResponse>((cb) => client.deletePackage({ projectId: project.projectId, apiKey: project.apiKey, packageName: 'testdata', packageVersion: '1.2.3' }, cb));
    expect(deleted).toEqual({ ok: { packageId: expect.any(Number), deletedSymbolCount: 1 } });
    const again = await callUnary<DeletePackageResponse>((cb) => client.deletePackage({ projectId: project.projectId, apiKey: project.apiKey, packageName: 'testdata', packageVersion: '1.2.3' }, cb));
    expect(geoCode(again)).toEqual([GrpcStatus.NOT_FOUND, ErrorCodes.NOT_FOUND]);
    const gone = await download(ssqp(`SHA256:${CHECKSUM}`));
    expect([gone.err?.code, gone.err?.metadata.get(GEO_ERROR_CODE_METADATA_KEY)[0]]).toEqual([GrpcStatus.NOT_FOUND, ErrorCodes.NOT_FOUND]);
  });

  it('administers namespaces (with full paths) and projects (key shown once, only its digest stored)', async () => {
    const top = await callUnary<CreateNamespaceResponse>((cb) => client.createNamespace({ name: 'Acme', path: 'acme' }, cb));
    if (!('ok' in top)) throw top.err;
    expect(top.ok.namespace).toEqual({ id: expect.any(Number), name: 'Acme', path: 'acme', fullPath: 'acme' });
    const topId = top.ok.namespace!.id;
    const child = await callUnary<CreateNamespaceResponse>((cb) => client.createNamespace({ name: 'Platform', path: 'platform', parentId: topId }, cb));
    if (!('ok' in child)) throw child.err;
    expect(child.ok.namespace).toMatchObject({ parentId: topId, fullPath: 'acme/platform' });

    expect(geoCode(await callUnary<CreateNamespaceResponse>((cb) => client.createNamespace({ name: 'Dup', path: 'ACME' }, cb)))).toEqual([GrpcStatus.ALREADY_EXISTS, ErrorCodes.ALREADY_EXISTS]);
    expect(geoCode(await callUnary<CreateNamespaceResponse>((cb) => client.createNamespace({ name: 'Orphan', path: 'orphan', parentId: 987_654 }, cb)))).toEqual([GrpcStatus.NOT_FOUND, ErrorCodes.NOT_FOUND]);
    expect(geoCode(await callUnary<CreateNamespaceResponse>((cb) => client.createNamespace({ name: 'Bad', path: 'bad path' }, cb)))).toEqual([GrpcStatus.INVALID_ARGUMENT, ErrorCodes.INVALID_ARGUMENT]);

    const listed = await callUnary<ListNamespacesResponse>((cb) => client.listNamespaces({}, cb));
    if (!('ok' in listed)) throw listed.err;
    expect(listed.ok.namespaces.map((n) => n.fullPath)).toEqual(expect.arrayContaining(['acme', 'acme/platform']));

    const created = await callUnary<CreateProjectResponse>((cb) => client.createProject({ name: 'Symbols', path: 'symbols', namespaceId: child.ok.namespace!.id, repositoryStorage: '' }, cb));
    if (!('ok' in created)) throw created.err;
    expect(created.ok.project).toMatchObject({ name: 'Symbols', path: 'symbols', pathWithNamespace: 'acme/platform/symbols', repositoryStorage: 'default' });
    const key = created.ok.nugetApiKey;
    const stored = await h.pool.query<{ nuget_api_key_digest: string }>('SELECT nuget_api_key_digest FROM projects WHERE id = $1', [created.ok.project!.id]);
    expect(stored.rows[0]?.nuget_api_key_digest).toBe(createHash('sha256').update(key).digest('hex'));

    const got = await callUnary<GetProjectResponse>((cb) => client.getProject({ id: created.ok.project!.id }, cb));
    expect(got).toEqual({ ok: { project: created.ok.project } });
    expect(geoCode(await callUnary<GetProjectResponse>((cb) => client.getProject({ id: 987_654 }, cb)))).toEqual([GrpcStatus.NOT_FOUND, ErrorCodes.NOT_FOUND]);
    expect(geoCode(await callUnary<CreateProjectResponse>((cb) => client.createProject({ name: 'Again', path: 'Symbols', namespaceId: child.ok.namespace!.id, repositoryStorage: '' }, cb)))).toEqual([
      GrpcStatus.ALREADY_EXISTS,
      ErrorCodes.ALREADY_EXISTS,
    ]);
    const projects = await callUnary<ListProjectsResponse>((cb) => client.listProjects({}, cb));
    if (!('ok' in projects)) throw projects.err;
    expect(projects.ok.projects.map((p) => p.pathWithNamespace)).toContain('acme/platform/symbols');
  });
});
