import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ServiceError } from '@grpc/grpc-js';
import { ErrorCodes, type GeoError, type LoggerPort } from '@geo/domain';
import {
  createChannelClient,
  geoAuthMetadata,
  GEO_CODE_METADATA_KEY,
  GEO_JWT_LEEWAY_MESSAGE,
  serverStream,
  signGeoJwt,
  startGrpcServer,
  type GeoRequestData,
  type GrpcServerHandle,
} from '@geo/grpc';
import { createPool, migrate, PgReplicableCatalogRepository } from '@geo/pg';
import { BlobTransferServiceClient, type RetrieveRequest, type RetrieveResponse } from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore, type BlobStore } from '@geo/storage';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { BLOB_KEY_HEADER, CHECKSUM_HEADER, errorFromRetrieveAnswer, RETRIEVE_CONTENT_TYPE, retrievePath } from '../http/retrieve-protocol';
import { BlobRetrieval } from './blob-retrieval';
import { RetrieveHttpServer } from './retrieve-http-server';
import { blobRetrieveService, fixedSizeChunks, RETRIEVE_CHUNK_BYTES } from './retrieve-service';

const NAME = packagesNugetSymbol.name;
/** Three full chunks and a short one. */
const BLOB = randomBytes(3 * RETRIEVE_CHUNK_BYTES + 123);
const BLOB_SHA = createHash('sha256').update(BLOB).digest('hex');
const SMALL = Buffer.from('portable pdb bytes');
/** Served by a counting source instead of the disk (back-pressure test). */
const VIRTUAL_KEY = 'virtual/huge.pdb';
const VIRTUAL_BYTES = 256 * 1024 * 1024;

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

interface Site {
  readonly accessKey: string;
  readonly secret: string;
}

async function failure(promise: Promise<unknown>): Promise<GeoError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as GeoError;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** What a secondary learns from one retrieval, whatever the transport. */
interface Answer {
  readonly header: { readonly size: number; readonly checksum: string; readonly contentType: string; readonly blobKey: string };
  readonly body: Buffer;
  /** gRPC only: the sizes of the chunk messages. */
  readonly chunkSizes?: readonly number[];
}

interface Caller {
  readonly site: Site | undefined;
  readonly data?: GeoRequestData;
  readonly now?: Date;
}

/** One face of Retrieve as its client sees it; failures reject with a `GeoError` (the `geo_code` in `geoCode`). */
interface Transport {
  readonly name: 'grpc' | 'http';
  fetch(request: RetrieveRequest, caller: Caller): Promise<Answer>;
  /** Reads about `bytes` of the blob, then goes away. */
  readSomeAndLeave(request: RetrieveRequest, caller: Caller, bytes: number): Promise<void>;
}

describe.each(['grpc', 'http'] as const)('Retrieve on the primary over %s (real server + PostgreSQL + fs blob store)', (transportName) => {
  let db: TestDatabase;
  let pool: Pool;
  let blobRoot: string;
  let server: GrpcServerHandle;
  let http: RetrieveHttpServer;
  let client: BlobTransferServiceClient;
  let transport: Transport;
  const logs: LogLine[] = [];
  const logger: LoggerPort = {
    info: (fields, msg) => logs.push({ level: 'info', fields, msg }),
    warn: (fields, msg) => logs.push({ level: 'warn', fields, msg }),
    error: (fields, msg) => logs.push({ level: 'error', fields, msg }),
  };
  /** The virtual blob's source: how much of it was read, and whether it was closed. */
  const virtual = { pulled: 0, source: undefined as Readable | undefined };
  /** 1: blob + succeeded checksum; 2: no blob on disk; 3: small blob, never verified; 4: the virtual blob. */
  let sym: number[] = [];
  let secondary: Site;
  let other: Site;
  let disabled: Site;

  async function insertId(sql: string, values: unknown[]): Promise<number> {
    const result = await pool.query<{ id: string }>(`${sql} RETURNING id`, values);
    return Number(result.rows[0]!.id);
  }

  async function insertSymbol(projectId: number, key: string, size: number): Promise<number> {
    return insertId(
      `INSERT INTO packages_nuget_symbols (created_at, updated_at, project_id, size, file_store, file, file_path, signature, object_storage_key)
       VALUES (now(), now(), $1, $2, 1, 'f.pdb', $3, $3, $3)`,
      [projectId, size, key],
    );
  }

  async function insertSite(name: string, options: { enabled?: boolean; namespaces?: number[] } = {}): Promise<Site> {
    const site = { accessKey: `AK${name.toUpperCase().padEnd(18, '0')}`, secret: `${name}-`.padEnd(40, 's') };
    const id = await insertId(
      `INSERT INTO geo_sites (name, url, access_key, secret_access_key, enabled, selective_sync_type) VALUES ($1, $2, $3, $4, $5, $6)`,
      [name, `https://${name}.example/`, site.accessKey, site.secret, options.enabled ?? true, options.namespaces === undefined ? null : 'namespaces'],
    );
    for (const namespaceId of options.namespaces ?? []) {
      await pool.query('INSERT INTO geo_node_namespace_links (geo_node_id, namespace_id) VALUES ($1, $2)', [id, namespaceId]);
    }
    return site;
  }

  /** A source of `VIRTUAL_BYTES` that counts what the server pulled from it. */
  function virtualSource(): Readable {
    async function* produce(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < VIRTUAL_BYTES; sent += RETRIEVE_CHUNK_BYTES) {
        virtual.pulled += RETRIEVE_CHUNK_BYTES;
        yield Buffer.alloc(RETRIEVE_CHUNK_BYTES, 7);
      }
    }
    virtual.source = Readable.from(produce());
    return virtual.source;
  }

  function authorization(request: RetrieveRequest, caller: Caller): string | undefined {
    const { site, data, now } = caller;
    if (site === undefined) return undefined;
    return signGeoJwt({
      accessKey: site.accessKey,
      secret: site.secret,
      data: data ?? { replicable_name: request.replicableName, replicable_id: request.modelRecordId },
      ...(now === undefined ? {} : { now }),
    });
  }

  function grpcStream(request: RetrieveRequest, caller: Caller): AsyncGenerator<RetrieveResponse> {
    const { site, data, now } = caller;
    const metadata =
      site === undefined
        ? undefined
        : geoAuthMetadata({
            accessKey: site.accessKey,
            secret: site.secret,
            data: data ?? { replicable_name: request.replicableName, replicable_id: request.modelRecordId },
            ...(now === undefined ? {} : { now }),
          });
    return serverStream(client.retrieve.bind(client), request, metadata === undefined ? {} : { metadata });
  }

  const grpcTransport: Transport = {
    name: 'grpc',
    async fetch(request, caller) {
      const parts: RetrieveResponse[] = [];
      try {
        for await (const part of grpcStream(request, caller)) parts.push(part);
      } catch (error) {
        const geo = error as GeoError;
        const [geoCode] = (geo.cause as ServiceError | undefined)?.metadata?.get(GEO_CODE_METADATA_KEY) ?? [];
        if (parts.length > 0) throw new Error(`the call failed after ${parts.length} messages`);
        throw Object.assign(geo, { geoCode });
      }
      const first = parts[0]?.part;
      if (first?.$case !== 'header') throw new Error('the first message is not a header');
      const chunks = parts.slice(1).map((p) => {
        if (p.part?.$case !== 'chunk') throw new Error(`expected a chunk, got ${p.part?.$case ?? 'nothing'}`);
        return Buffer.from(p.part.chunk);
      });
      return { header: first.header, body: Buffer.concat(chunks), chunkSizes: chunks.map((c) => c.length) };
    },
    async readSomeAndLeave(request, caller, bytes) {
      let received = 0;
      for await (const part of grpcStream(request, caller)) {
        if (part.part?.$case === 'chunk') received += part.part.chunk.length;
        if (received >= bytes) break; // leaving the loop cancels the call
      }
    },
  };

  function httpGet(request: RetrieveRequest, caller: Caller): Promise<IncomingMessage> {
    const auth = authorization(request, caller);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: http.port(),
        path: retrievePath(request.replicableName, request.modelRecordId),
        headers: auth === undefined ? {} : { authorization: auth },
      });
      req.once('response', resolve).once('error', reject).end();
    });
  }

  async function readAll(res: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  const httpTransport: Transport = {
    name: 'http',
    async fetch(request, caller) {
      const res = await httpGet(request, caller);
      const body = await readAll(res);
      if (res.statusCode !== 200) {
        const error = errorFromRetrieveAnswer(res.statusCode ?? 0, body.toString('utf8'));
        throw Object.assign(error, { geoCode: error.details['geoCode'] });
      }
      expect(Number(res.headers['content-length'])).toBe(body.length);
      const checksum = res.headers[CHECKSUM_HEADER];
      return {
        header: {
          size: Number(res.headers['content-length']),
          checksum: typeof checksum === 'string' ? checksum : '',
          contentType: res.headers['content-type'] ?? '',
          blobKey: String(res.headers[BLOB_KEY_HEADER]),
        },
        body,
      };
    },
    async readSomeAndLeave(request, caller, bytes) {
      const res = await httpGet(request, caller);
      let received = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received >= bytes) break; // leaving the loop destroys the response and its socket
      }
    },
  };

  beforeAll(async () => {
    db = await createTestDatabase('geo_blob_retrieve');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 4 });
    blobRoot = mkdtempSync(join(tmpdir(), 'geo-retrieve-'));
    const fsStore = new FsBlobStore({ root: blobRoot });
    await fsStore.put('sym/1/one.pdb', BLOB);
    await fsStore.put('sym/3/three.pdb', SMALL);
    await fsStore.put('sym/6/longer.pdb', BLOB);
    await fsStore.put('sym/7/shorter.pdb', SMALL);
    const blobStore: Pick<BlobStore, 'get'> = { get: async (key) => (key === VIRTUAL_KEY ? virtualSource() : fsStore.get(key)) };

    const namespace = await insertId(`INSERT INTO namespaces (name, path) VALUES ('g', 'g')`, []);
    const elsewhere = await insertId(`INSERT INTO namespaces (name, path) VALUES ('h', 'h')`, []);
    const project = await insertId(`INSERT INTO projects (name, path, namespace_id) VALUES ('p', 'p', $1)`, [namespace]);
    sym = [
      await insertSymbol(project, 'sym/1/one.pdb', BLOB.length),
      await insertSymbol(project, 'sym/2/gone.pdb', 10),
      await insertSymbol(project, 'sym/3/three.pdb', SMALL.length),
      await insertSymbol(project, VIRTUAL_KEY, VIRTUAL_BYTES),
      // Records whose size disagrees with their file (4: file longer, 5: file shorter).
      await insertSymbol(project, 'sym/6/longer.pdb', 100),
      await insertSymbol(project, 'sym/7/shorter.pdb', SMALL.length + 10),
    ];
    await pool.query(
      `INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id, verification_state, verification_checksum, verified_at) VALUES ($1, 2, decode($2, 'hex'), now())`,
      [sym[0], BLOB_SHA],
    );
    // The secondary selects another namespace: Retrieve must not apply selective sync.
    secondary = await insertSite('secondary', { namespaces: [elsewhere] });
    other = await insertSite('other');
    disabled = await insertSite('disabled', { enabled: false });

    const retrieval = new BlobRetrieval({ catalog: new PgReplicableCatalogRepository(pool), replicables: [packagesNugetSymbol], blobStore, logger });
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [blobRetrieveService({ retrieval, logger })] });
    client = createChannelClient(BlobTransferServiceClient, `127.0.0.1:${server.port}`);
    http = new RetrieveHttpServer({ retrieval, logger, host: '127.0.0.1', port: 0 });
    await http.start();
    transport = transportName === 'grpc' ? grpcTransport : httpTransport;
  });

  afterAll(async () => {
    client?.close();
    await http?.stop();
    await server?.shutdown(0);
    await pool?.end();
    await db?.drop();
    if (blobRoot !== undefined) rmSync(blobRoot, { recursive: true, force: true });
  });

  beforeEach(() => {
    logs.length = 0;
  });

  it('sends the size, checksum, content type and key, then the blob byte for byte (selective sync not applied)', async () => {
    const answer = await transport.fetch({ replicableName: NAME, modelRecordId: sym[0]! }, { site: secondary });
    expect(answer.header).toEqual({ size: BLOB.length, checksum: BLOB_SHA, contentType: RETRIEVE_CONTENT_TYPE, blobKey: 'sym/1/one.pdb' });
    expect(answer.body.equals(BLOB)).toBe(true);
    if (transport.name === 'grpc') expect(answer.chunkSizes).toEqual([RETRIEVE_CHUNK_BYTES, RETRIEVE_CHUNK_BYTES, RETRIEVE_CHUNK_BYTES, 123]);
  });

  it('sends an empty checksum while the primary has not verified the blob', async () => {
    const answer = await transport.fetch({ replicableName: NAME, modelRecordId: sym[2]! }, { site: secondary });
    expect(answer.header).toEqual({ size: SMALL.length, checksum: '', contentType: RETRIEVE_CONTENT_TYPE, blobKey: 'sym/3/three.pdb' });
    expect(answer.body.equals(SMALL)).toBe(true);
  });

  it('answers a record whose blob is missing with FILE_NOT_FOUND (geo_code) and the model class message', async () => {
    const err = await failure(transport.fetch({ replicableName: NAME, modelRecordId: sym[1]! }, { site: secondary }));
    expect(err.code).toBe(ErrorCodes.FILE_NOT_FOUND);
    expect(err.message).toBe(`Packages::Nuget::Symbol #${sym[1]} file not found`);
    expect((err as GeoError & { geoCode?: unknown }).geoCode).toBe('FILE_NOT_FOUND');
    if (transport.name === 'http') expect(err.details['httpStatus']).toBe(404);
  });

  it('answers an unknown record with NOT_FOUND "<replicable_name> not found" and no geo_code', async () => {
    const err = await failure(transport.fetch({ replicableName: NAME, modelRecordId: 987_654 }, { site: secondary }));
    expect(err.code).toBe(ErrorCodes.NOT_FOUND);
    expect(err.message).toBe('packages_nuget_symbol not found');
    expect((err as GeoError & { geoCode?: unknown }).geoCode).toBeUndefined();
  });

  it('answers an unknown replicable name with INVALID_ARGUMENT', async () => {
    const err = await failure(transport.fetch({ replicableName: 'no_such_thing', modelRecordId: sym[0]! }, { site: secondary }));
    expect(err.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    if (transport.name === 'http') expect(err.details['httpStatus']).toBe(400);
  });

  it('reads the blob only as fast as the client takes it, and closes it when the client goes away', async () => {
    await transport.readSomeAndLeave({ replicableName: NAME, modelRecordId: sym[3]! }, { site: secondary }, 3 * RETRIEVE_CHUNK_BYTES);
    await waitFor('the blob source to be closed', () => virtual.source?.destroyed === true);
    // Transport windows and stream buffers hold a few MiB at most; without back-pressure the whole
    // 256 MiB would have been read by now.
    expect(virtual.pulled).toBeLessThan(32 * 1024 * 1024);
    expect(logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  // The routes around the endpoint exist on the HTTP face only.
  if (transportName === 'http') {
    it.each([
      ['longer', 4],
      ['shorter', 5],
    ])('a file %s than its record: the connection is cut, never more or fewer bytes than announced', async (what, index) => {
      // Node's own error (its realm, not jest's: no instanceof here).
      await expect(transport.fetch({ replicableName: NAME, modelRecordId: sym[index]! }, { site: secondary })).rejects.toMatchObject({ message: expect.stringMatching(/aborted|socket hang up/) });
      expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: `blob-transfer: Retrieve cut off: the blob is ${what} than its record` }));
      // The server is fine afterwards: the next answer is whole.
      expect((await transport.fetch({ replicableName: NAME, modelRecordId: sym[2]! }, { site: secondary })).body.equals(SMALL)).toBe(true);
    });

    it('HEAD answers the head without the body; other methods 405; other paths 404; a malformed id 400', async () => {
      const request = (method: string, path: string, auth?: string) =>
        new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: http.port(), method, path, headers: auth === undefined ? {} : { authorization: auth } });
          req.once('response', (res) => {
            void readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body.toString('utf8') }), reject);
          });
          req.once('error', reject).end();
        });
      const path = retrievePath(NAME, sym[0]!);
      const head = await request('HEAD', path, authorization({ replicableName: NAME, modelRecordId: sym[0]! }, { site: secondary }));
      expect(head).toMatchObject({ status: 200, body: '' });
      expect(head.headers).toMatchObject({ 'content-length': String(BLOB.length), [CHECKSUM_HEADER]: BLOB_SHA, [BLOB_KEY_HEADER]: 'sym/1/one.pdb' });
      expect(await request('POST', path)).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
      expect(await request('GET', '/api/v4/projects')).toMatchObject({ status: 404 });
      for (const bad of ['/api/v4/geo/retrieve/packages_nuget_symbol/0', '/api/v4/geo/retrieve/packages_nuget_symbol/abc', '/api/v4/geo/retrieve/packages_nuget_symbol']) {
        const answer = await request('GET', bad);
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
      }
    });
  }

  describe('refuses callers as UNAUTHENTICATED and logs each refusal', () => {
    const refusals = () => logs.filter((l) => l.level === 'warn' && l.msg === 'Geo site refused');
    const tenMinutesAgo = () => new Date(Date.now() - 10 * 60_000);
    const cases: [string, () => { site: Site | undefined; request: RetrieveRequest; data?: GeoRequestData; now?: Date }, string][] = [
      ['a wrong secret', () => ({ site: { ...secondary, secret: 'w'.repeat(40) }, request: { replicableName: NAME, modelRecordId: sym[0]! } }), 'Error decoding Geo request: invalid signature'],
      ['an expired token', () => ({ site: secondary, request: { replicableName: NAME, modelRecordId: sym[0]! }, now: tenMinutesAgo() }), GEO_JWT_LEEWAY_MESSAGE],
      [
        "another site's secret under this site's access key",
        () => ({ site: { accessKey: secondary.accessKey, secret: other.secret }, request: { replicableName: NAME, modelRecordId: sym[0]! } }),
        'Error decoding Geo request: invalid signature',
      ],
      [
        'a token bound to record 1 asking for record 3',
        () => ({ site: secondary, request: { replicableName: NAME, modelRecordId: sym[2]! }, data: { replicable_name: NAME, replicable_id: sym[0]! } }),
        'Geo request data does not match the request (replicable_id)',
      ],
      [
        'a token whose id is a string, not a number',
        () => ({ site: secondary, request: { replicableName: NAME, modelRecordId: sym[0]! }, data: { replicable_name: NAME, replicable_id: String(sym[0]) } }),
        'Geo request data does not match the request (replicable_id)',
      ],
      [
        'a token bound to another replicable name',
        () => ({ site: secondary, request: { replicableName: NAME, modelRecordId: sym[0]! }, data: { replicable_name: 'other_type', replicable_id: sym[0]! } }),
        'Geo request data does not match the request (replicable_name)',
      ],
      ['a disabled site', () => ({ site: disabled, request: { replicableName: NAME, modelRecordId: sym[0]! } }), 'Unknown or disabled Geo site access key'],
      [
        'an unknown access key',
        () => ({ site: { accessKey: 'AKUNKNOWN00000000000', secret: secondary.secret }, request: { replicableName: NAME, modelRecordId: sym[0]! } }),
        'Unknown or disabled Geo site access key',
      ],
      ['no authorization header', () => ({ site: undefined, request: { replicableName: NAME, modelRecordId: sym[0]! } }), 'Missing GL-Geo authorization header'],
    ];

    it.each(cases)('%s', async (_what, setup, reason) => {
      const { site, request, data, now } = setup();
      const err = await failure(transport.fetch(request, { site, ...(data === undefined ? {} : { data }), ...(now === undefined ? {} : { now }) }));
      expect(err.code).toBe(ErrorCodes.UNAUTHENTICATED);
      expect(err.message).toBe(reason);
      if (transport.name === 'http') expect(err.details['httpStatus']).toBe(401);
      expect(refusals()).toEqual([
        {
          level: 'warn',
          msg: 'Geo site refused',
          fields: { transport: transport.name, method: 'Retrieve', accessKey: site?.accessKey, replicableName: NAME, modelRecordId: request.modelRecordId, reason },
        },
      ]);
      const logged = JSON.stringify(logs);
      for (const secret of [secondary.secret, other.secret, disabled.secret]) expect(logged).not.toContain(secret);
      expect(logged).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    });
  });
});

describe('fixedSizeChunks', () => {
  async function* pieces(...sizes: number[]): AsyncGenerator<Uint8Array> {
    let n = 0;
    for (const size of sizes) {
      const piece = new Uint8Array(size);
      for (let i = 0; i < size; i += 1) piece[i] = (n++ * 31) & 0xff;
      yield piece;
    }
  }

  it.each([
    ['pieces smaller than a chunk', [3, 3, 3, 3], [4, 4, 4]],
    ['one piece larger than several chunks', [10], [4, 4, 2]],
    ['exact multiples', [4, 8], [4, 4, 4]],
    ['nothing', [], []],
  ])('regroups %s into fixed chunks without changing the bytes', async (_what, sizes, expected) => {
    const all = Buffer.concat(await collect(pieces(...sizes)));
    const chunks = await collect(fixedSizeChunks(pieces(...sizes), 4));
    expect(chunks.map((c) => c.length)).toEqual(expected);
    expect(Buffer.concat(chunks).equals(all)).toBe(true);
  });
});
