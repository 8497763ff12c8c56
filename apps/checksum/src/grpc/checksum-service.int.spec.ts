import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { loadConfig } from '@geo/config';
import { silentLogger } from '@geo/domain';
import { startGrpcServer, type GrpcServerHandle } from '@geo/grpc';
import { migrate } from '@geo/pg';
import {
  ChecksumServiceClient,
  VerificationState,
  type GetChecksumsRequest,
  type GetChecksumsResponse,
  type ReverifyAllRequest,
  type ReverifyAllResponse,
  type ReverifyRequest,
  type ReverifyResponse,
  type VerifyNowRequest,
  type VerifyNowResponse,
} from '@geo/proto';
import type { Component } from '@geo/service-kit';
import { FsBlobStore } from '@geo/storage';
import { createTestDatabase, testServiceUrls, type TestDatabase } from '@geo/testing';
import { seedSymbols, type SeededSymbol } from '../test-support/symbol-fixtures';
import { buildPrimary, type PrimaryParts } from '../wiring';

/** One unary call as a promise (the generated client's callback form). */
function call<Req, Res>(method: (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

describe('ChecksumService on the primary (gRPC over loopback)', () => {
  const name = 'packages_nuget_symbol';
  let db: TestDatabase;
  let blobRoot: string;
  let parts: PrimaryParts;
  let server: GrpcServerHandle;
  let client: ChecksumServiceClient;
  let symbols: SeededSymbol[];
  let support: Component[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('geo_checksum_grpc');
    await migrate({ role: 'primary', databaseUrl: db.url });
    blobRoot = mkdtempSync(join(tmpdir(), 'geo-checksum-grpc-'));
    const store = new FsBlobStore({ root: blobRoot });
    const config = loadConfig('checksum', {
      GEO_ROLE: 'primary',
      GEO_SITE_NAME: 'grpc-test',
      DATABASE_URL: db.url,
      NATS_URL: testServiceUrls().natsUrl,
      BLOB_STORE_ROOT: blobRoot,
    });
    // Everything but the background workers runs (database, checksum threads), so every state change
    // comes from the RPCs.
    parts = buildPrimary(config, silentLogger);
    const workers: readonly Component[] = parts.workers;
    support = (parts.components ?? []).filter((c) => !workers.includes(c));
    for (const component of support) await component.start();
    symbols = await seedSymbols(parts.database.pool, store, 4);
    await store.delete(symbols[3]!.key);
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: parts.grpcServices ?? [] });
    client = new ChecksumServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown(0);
    for (const component of [...support].reverse()) await component.stop();
    await db?.drop();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  it('VerifyNow checksums one record and returns SUCCEEDED (wire 3) with the hex SHA-256', async () => {
    const res = await call<VerifyNowRequest, VerifyNowResponse>((req, cb) => client.verifyNow(req, cb), { ref: { replicableName: name, modelRecordId: symbols[0]!.id } });
    expect(res).toEqual({ verificationState: VerificationState.VERIFICATION_STATE_SUCCEEDED, checksum: symbols[0]!.sha256 });
    expect(VerificationState.VERIFICATION_STATE_SUCCEEDED).toBe(3);
  });

  it('VerifyNow on a record whose blob is missing returns FAILED with the failure text and no checksum', async () => {
    const res = await call<VerifyNowRequest, VerifyNowResponse>((req, cb) => client.verifyNow(req, cb), { ref: { replicableName: name, modelRecordId: symbols[3]!.id } });
    expect(res).toEqual({
      verificationState: VerificationState.VERIFICATION_STATE_FAILED,
      checksum: '',
      verificationFailure: 'Error during verification: File is not checksummable',
    });
  });

  it('GetChecksums returns the known ids with state, checksum (only when succeeded) and verified_at', async () => {
    const res = await call<GetChecksumsRequest, GetChecksumsResponse>((req, cb) => client.getChecksums(req, cb), { replicableName: name, modelRecordIds: [symbols[3]!.id, symbols[0]!.id, symbols[1]!.id, 987_654] });
    expect(res.checksums.map((c) => [c.modelRecordId, c.verificationState, c.checksum])).toEqual([
      [symbols[0]!.id, VerificationState.VERIFICATION_STATE_SUCCEEDED, symbols[0]!.sha256],
      [symbols[1]!.id, VerificationState.VERIFICATION_STATE_PENDING, ''],
      [symbols[3]!.id, VerificationState.VERIFICATION_STATE_FAILED, ''],
    ]);
    expect(res.checksums[0]!.verifiedAt).toBeInstanceOf(Date);
    expect(res.checksums[1]!.verifiedAt).toBeUndefined();
  });

  it('Reverify moves a record to PENDING; ReverifyAll counts what it changed, honouring the state filter', async () => {
    const reverified = await call<ReverifyRequest, ReverifyResponse>((req, cb) => client.reverify(req, cb), { ref: { replicableName: name, modelRecordId: symbols[0]!.id } });
    expect(reverified).toEqual({ verificationState: VerificationState.VERIFICATION_STATE_PENDING });
    await call<VerifyNowRequest, VerifyNowResponse>((req, cb) => client.verifyNow(req, cb), { ref: { replicableName: name, modelRecordId: symbols[2]!.id } });
    const failedOnly = await call<ReverifyAllRequest, ReverifyAllResponse>((req, cb) => client.reverifyAll(req, cb), {
      replicableName: name,
      modelRecordIds: [],
      verificationState: VerificationState.VERIFICATION_STATE_FAILED,
    });
    expect(failedOnly).toEqual({ affectedCount: 1 });
    const all = await call<ReverifyAllRequest, ReverifyAllResponse>((req, cb) => client.reverifyAll(req, cb), { replicableName: name, modelRecordIds: [], verificationState: VerificationState.VERIFICATION_STATE_UNSPECIFIED });
    expect(all).toEqual({ affectedCount: 1 });
    const states = await call<GetChecksumsRequest, GetChecksumsResponse>((req, cb) => client.getChecksums(req, cb), { replicableName: name, modelRecordIds: symbols.map((s) => s.id) });
    expect(states.checksums.map((c) => c.verificationState)).toEqual(symbols.map(() => VerificationState.VERIFICATION_STATE_PENDING));
  });

  it.each([
    ['an unknown replicable', { replicableName: 'nope', modelRecordId: 1 }, status.INVALID_ARGUMENT],
    ['an unknown record', { replicableName: 'packages_nuget_symbol', modelRecordId: 987_654 }, status.NOT_FOUND],
    ['a non-positive id', { replicableName: 'packages_nuget_symbol', modelRecordId: 0 }, status.INVALID_ARGUMENT],
  ])('VerifyNow and Reverify reject %s', async (_what, ref, code) => {
    await expect(call<VerifyNowRequest, VerifyNowResponse>((req, cb) => client.verifyNow(req, cb), { ref })).rejects.toMatchObject({ code });
    await expect(call<ReverifyRequest, ReverifyResponse>((req, cb) => client.reverify(req, cb), { ref })).rejects.toMatchObject({ code });
  });

  it('rejects a missing ref and an out-of-range state filter as INVALID_ARGUMENT', async () => {
    await expect(call<VerifyNowRequest, VerifyNowResponse>((req, cb) => client.verifyNow(req, cb), {})).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      call<ReverifyAllRequest, ReverifyAllResponse>((req, cb) => client.reverifyAll(req, cb), { replicableName: name, modelRecordIds: [], verificationState: 42 as VerificationState }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
