/**
 * Secondary verification on two real sites (issue 5's acceptance), every app a real process:
 * 1. the primary has no checksum yet → the secondary's registry is `verification_disabled`, also
 *    after an operator's REVERIFY (the checksum app asked the primary and found nothing); once the
 *    primary checksums the record, its `checksum_succeeded` event makes the secondary verify it;
 * 2. corruption: 10,000 blobs synced and verified on the secondary, one byte flipped in 1 % of the
 *    copies (size and mtime kept), a bulk REVERIFY: every corrupted copy is detected
 *    (`checksum_mismatch`), downloaded again with GitLab's backoff and verified, and no other blob or
 *    registry row is touched. Prints the time to detect and the time to repair (BENCHMARKS.md).
 */
import { createHash, randomInt } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  RegistryServiceClient,
  SyncState,
  VerificationState,
  type ReverifyRegistriesRequest,
  type ReverifyRegistriesResponse,
  type ReverifyRegistryRequest,
  type ReverifyRegistryResponse,
} from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore } from '@geo/storage';
import { buildNupkg, buildSnupkg, readFixture } from '@geo/testing';
import { insertSymbolRows, writeRandomBlobs } from '../bench/lib/verify-fixture';
import { startTwoSites, type TwoSites } from '../dev/lib/two-sites';

jest.setTimeout(300_000);

/** Fast consistency sweeps, so records seeded without events are found at once (production: 60 s). */
const SECONDARY_ENV = { GEO_REGISTRY_SWEEP_INTERVAL_SECONDS: '2' };
const NAME = packagesNugetSymbol.name;
const SYNCED = 2;
const SYNC_FAILED = 3;
const V_SUCCEEDED = 2;
const V_FAILED = 3;
const V_DISABLED = 4;
const CORRUPTION_BLOBS = 10_000;
const CORRUPTED = CORRUPTION_BLOBS / 100;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One unary call as a promise (the generated client's callback form). */
function call<Req, Res>(method: (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

interface RegistryRow {
  readonly model_id: number;
  readonly state: number;
  readonly verification_state: number;
  readonly checksum: string | null;
  readonly checksum_mismatch: boolean;
  readonly verification_started_at: Date | null;
  readonly verified_at: Date | null;
  readonly last_synced_at: Date | null;
  readonly retry_count: number;
  readonly retry_at: Date | null;
  readonly last_sync_failure: string | null;
}

describe('two sites: secondary verification', () => {
  let sites: TwoSites;
  let registryAdmin: RegistryServiceClient;

  /** Polls `probe` every 100 ms until it returns a value; fails with `what` and the secondary's logs. */
  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        const logs = (['checksum', 'registry', 'blob-transfer', 'event-log'] as const).map((a) => `--- ${a}\n${sites.secondary.site?.logTail(a)}`).join('\n');
        throw new Error(`timed out waiting for ${what}\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function registries(ids: readonly number[]): Promise<Map<number, RegistryRow>> {
    const result = await sites.secondary.pg.query<RegistryRow>(
      `SELECT packages_nuget_symbol_id::int AS model_id, state, verification_state, encode(verification_checksum, 'hex') AS checksum,
              checksum_mismatch, verification_started_at, verified_at, last_synced_at, retry_count, retry_at, last_sync_failure
       FROM packages_nuget_symbol_registry WHERE packages_nuget_symbol_id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(result.rows.map((r) => [r.model_id, r]));
  }

  /** Resolves once every id's registry row satisfies `done`. */
  function whenAll(what: string, ids: readonly number[], done: (row: RegistryRow) => boolean, timeoutMs?: number): Promise<Map<number, RegistryRow>> {
    return waitFor(
      what,
      async () => {
        const rows = await registries(ids);
        return ids.every((id) => {
          const row = rows.get(id);
          return row !== undefined && done(row);
        })
          ? rows
          : undefined;
      },
      timeoutMs,
    );
  }

  async function primaryChecksums(ids: readonly number[]): Promise<Map<number, string | null>> {
    const result = await sites.primary.pg.query<{ id: number; checksum: string | null; state: number }>(
      `SELECT packages_nuget_symbol_id::int AS id, verification_state AS state, encode(verification_checksum, 'hex') AS checksum
       FROM packages_nuget_symbol_states WHERE packages_nuget_symbol_id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(result.rows.map((r) => [r.id, r.state === V_SUCCEEDED ? r.checksum : null]));
  }

  beforeAll(async () => {
    // files_max_capacity 32 (GitLab's default is 10) only shortens the initial sync of 10,000 blobs;
    // the repair of corrupted copies is bound by the retry backoff, not by capacity.
    sites = await startTwoSites({ label: 'e2e_secondary_verification', secondaryEnv: SECONDARY_ENV, secondarySettings: { files_max_capacity: 32 } });
    registryAdmin = new RegistryServiceClient(`127.0.0.1:${sites.secondary.site!.grpcPorts.registry}`, credentials.createInsecure());
  });

  afterAll(async () => {
    registryAdmin?.close();
    await sites?.stop();
  });

  it('primary checksum not yet available → verification_disabled (also after REVERIFY); the primary\'s checksum_succeeded → verification_succeeded', async () => {
    // The primary's checksum app is down: pushed symbols stay unverified there.
    await sites.primary.site.stopApp('checksum');
    const ns = await sites.admin<{ id: number }>('POST', '/namespaces', { name: 'verify', path: 'verify' });
    const project = await sites.admin<{ id: number; nuget_api_key: string }>('POST', '/projects', { name: 'Symbols', path: 'symbols', namespace_id: ns.id });
    const pdbs = [
      { path: 'lib/net8.0/PdbChecksumLib.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') },
      { path: 'lib/net8.0/EmptyPdb.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') },
    ];
    for (const [kind, body] of [['', buildNupkg({ id: 'Verify.Later', version: '1.0.0' })], ['symbolpackage', buildSnupkg({ id: 'Verify.Later', version: '1.0.0', pdbs })]] as const) {
      const form = new FormData();
      form.append('package', new Blob([body]), 'package');
      const res = await fetch(`${sites.primary.url}/api/v4/projects/${project.id}/packages/nuget/${kind}`, { method: 'PUT', headers: { 'X-NuGet-ApiKey': project.nuget_api_key }, body: form });
      expect(res.status).toBe(201);
    }
    const symbols = (await sites.primary.pg.query<{ id: number; key: string }>('SELECT id::int AS id, object_storage_key AS key FROM packages_nuget_symbols WHERE project_id = $1 ORDER BY id', [project.id])).rows;
    const ids = symbols.map((s) => s.id);
    expect(ids).toHaveLength(2);

    // Synced without a primary checksum: disabled (the sync's after_synced step).
    await whenAll('the symbols synced', ids, (r) => r.state === SYNCED);
    expect([...(await registries(ids)).values()].map((r) => r.verification_state)).toEqual([V_DISABLED, V_DISABLED]);

    // An operator's REVERIFY: the secondary's checksum app claims it, asks the primary, finds no
    // succeeded checksum and sets it disabled again (verification_started_at is its claim's mark).
    const reverified = await call<ReverifyRegistryRequest, ReverifyRegistryResponse>((r, cb) => registryAdmin.reverifyRegistry(r, cb), {
      ref: { replicableName: NAME, modelRecordId: ids[0]! },
    });
    expect(reverified.registry?.verificationState).toBe(VerificationState.VERIFICATION_STATE_PENDING);
    const disabled = await whenAll('REVERIFY answered with disabled', [ids[0]!], (r) => r.verification_state === V_DISABLED && r.verification_started_at !== null);
    expect(disabled.get(ids[0]!)).toMatchObject({ state: SYNCED, checksum: null, verified_at: null });

    // The primary checksums them; its checksum_succeeded events reach the secondary, which verifies.
    await sites.primary.site.startApp('checksum');
    const verified = await whenAll('verified after checksum_succeeded', ids, (r) => r.verification_state === V_SUCCEEDED);
    const primary = await primaryChecksums(ids);
    for (const symbol of symbols) {
      const row = verified.get(symbol.id)!;
      const local = sha256(readFileSync(join(sites.secondary.blobRoot, symbol.key)));
      expect(row).toMatchObject({ state: SYNCED, checksum: local, checksum_mismatch: false });
      expect(row.checksum).toBe(primary.get(symbol.id));
      expect(row.verified_at).not.toBeNull();
    }
  });

  it(`corruption: 1 % of ${CORRUPTION_BLOBS} verified copies flipped (size and mtime kept); a bulk REVERIFY detects, re-downloads and re-verifies exactly those`, async () => {
    const primaryStore = new FsBlobStore({ root: sites.primary.blobRoot });
    const blobs = await writeRandomBlobs(primaryStore, CORRUPTION_BLOBS, 4 * 1024, 16 * 1024);
    await insertSymbolRows(sites.primary.pg, blobs);
    const idRows = (await sites.primary.pg.query<{ id: number; key: string }>('SELECT id::int AS id, object_storage_key AS key FROM packages_nuget_symbols WHERE object_storage_key = ANY($1::text[])', [blobs.map((b) => b.key)])).rows;
    const keyOf = new Map(idRows.map((r) => [r.id, r.key]));
    const ids = idRows.map((r) => r.id).sort((a, b) => a - b);
    expect(ids).toHaveLength(CORRUPTION_BLOBS);

    await whenAll(`${CORRUPTION_BLOBS} synced and verified on the secondary`, ids, (r) => r.state === SYNCED && r.verification_state === V_SUCCEEDED, 180_000);
    const pathOf = (id: number) => join(sites.secondary.blobRoot, keyOf.get(id)!);
    const before = await registries(ids);
    const statsBefore = new Map(ids.map((id) => [id, statSync(pathOf(id), { bigint: true })]));

    // Flip one byte of 1 % of the copies in place, restoring the modification time.
    const victims = new Set<number>();
    while (victims.size < CORRUPTED) victims.add(ids[randomInt(ids.length)]!);
    for (const id of victims) {
      const stat = statsBefore.get(id)!;
      const fd = openSync(pathOf(id), 'r+');
      try {
        const offset = randomInt(Number(stat.size));
        const byte = Buffer.alloc(1);
        readSync(fd, byte, 0, 1, offset);
        byte[0] = byte[0]! ^ 0xff;
        writeSync(fd, byte, 0, 1, offset);
      } finally {
        closeSync(fd);
      }
      utimesSync(pathOf(id), Number(stat.atimeNs) / 1e9, Number(stat.mtimeNs) / 1e9);
      const after = statSync(pathOf(id), { bigint: true });
      expect([after.size, after.mtimeMs, after.ino]).toEqual([stat.size, stat.mtimeMs, stat.ino]);
    }
    const victimIds = [...victims].sort((a, b) => a - b);
    const others = ids.filter((id) => !victims.has(id));

    const reverifyAt = Date.now();
    const bulk = await call<ReverifyRegistriesRequest, ReverifyRegistriesResponse>((r, cb) => registryAdmin.reverifyRegistries(r, cb), {
      filter: { replicableName: NAME, ids: [], state: SyncState.SYNC_STATE_UNSPECIFIED, verificationState: VerificationState.VERIFICATION_STATE_UNSPECIFIED },
    });
    // Every synced row of the type, including the two of the first test.
    expect(bulk.affectedCount).toBeGreaterThanOrEqual(CORRUPTION_BLOBS);

    const detected = await whenAll('every corrupted copy detected', victimIds, (r) => r.checksum_mismatch && r.verification_state === V_FAILED, 120_000);
    const detectSeconds = (Date.now() - reverifyAt) / 1000;
    for (const id of victimIds) {
      const row = detected.get(id)!;
      expect(row.last_sync_failure).toMatch(/^Verification failed with: Checksum does not match the primary checksum \{:checksum=>"[0-9a-f]{64}", :primary_checksum=>"[0-9a-f]{64}"/);
      // Spec §3.3: the sync state failed too, retry_count = verification_retry_count = 1, and the
      // first retry follows GitLab's backoff: delay(1) = 16..74 s after the failure (verified_at).
      expect(row).toMatchObject({ state: SYNC_FAILED, retry_count: 1 });
      const wait = (row.retry_at!.getTime() - row.verified_at!.getTime()) / 1000;
      expect(wait).toBeGreaterThanOrEqual(16);
      expect(wait).toBeLessThanOrEqual(74);
    }
    // The other copies were re-verified too (the bulk REVERIFY covered every row) and still match.
    await whenAll('every other copy re-verified', others, (r) => r.verification_state === V_SUCCEEDED && r.verified_at!.getTime() >= reverifyAt, 120_000);
    const reverifiedSeconds = (Date.now() - reverifyAt) / 1000;

    // Repair runs on GitLab's backoff as is (nothing in this test makes retries due sooner).
    const repaired = await whenAll(
      'every corrupted copy downloaded again and verified',
      victimIds,
      (r) => r.state === SYNCED && r.verification_state === V_SUCCEEDED && !r.checksum_mismatch && r.last_synced_at!.getTime() > reverifyAt,
      150_000,
    );
    const repairSeconds = (Date.now() - reverifyAt) / 1000;
    const primary = await primaryChecksums(victimIds);
    for (const id of victimIds) {
      const local = sha256(readFileSync(pathOf(id)));
      expect(repaired.get(id)!.checksum).toBe(local);
      expect(local).toBe(primary.get(id));
      // Installed anew (temp file + rename): a different inode.
      expect(statSync(pathOf(id), { bigint: true }).ino).not.toBe(statsBefore.get(id)!.ino);
    }

    // No other blob was touched: same inode, size and mtime; registry rows never resynced.
    const after = await registries(others);
    for (const id of others) {
      const stat = statSync(pathOf(id), { bigint: true });
      const old = statsBefore.get(id)!;
      expect([stat.ino, stat.size, stat.mtimeNs]).toEqual([old.ino, old.size, old.mtimeNs]);
      const row = after.get(id)!;
      expect(row).toMatchObject({ state: SYNCED, verification_state: V_SUCCEEDED, checksum_mismatch: false, retry_count: 0, last_sync_failure: null });
      expect(row.last_synced_at).toEqual(before.get(id)!.last_synced_at);
      expect(row.checksum).toBe(before.get(id)!.checksum);
    }

    console.log(
      `secondary verification (issue 5): ${CORRUPTED} of ${CORRUPTION_BLOBS} copies corrupted; ` +
        `time to detect ${detectSeconds.toFixed(1)} s, all ${CORRUPTION_BLOBS} re-verified ${reverifiedSeconds.toFixed(1)} s, ` +
        `time to repair ${repairSeconds.toFixed(1)} s (all from the bulk REVERIFY)`,
    );
  });
});
