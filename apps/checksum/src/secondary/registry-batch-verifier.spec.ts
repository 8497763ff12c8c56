import { UnavailableError, type ReplicableRecord } from '@geo/domain';
import type { RecordedRegistryVerification, RegistryVerificationClaim, RegistryVerificationResult } from '@geo/pg';
import { recordingLogger } from '@geo/testing';
import type { ChecksumOutcome } from '../shared/blob-checksum';
import type { PrimaryChecksumLookup } from './primary-checksums';
import { RegistryBatchVerifier } from './registry-batch-verifier';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const GOOD = '11'.repeat(32);
const BAD = '22'.repeat(32);

function claim(id: number, blob = true): RegistryVerificationClaim {
  return {
    row: {
      id,
      modelId: id * 10,
      createdAt: NOW,
      state: 'synced',
      retryCount: 0,
      retryAt: null,
      lastSyncedAt: NOW,
      lastSyncFailure: null,
      verificationState: 'verification_started',
      verificationStartedAt: new Date(NOW.getTime() - 1000),
      verificationRetryAt: null,
      verificationRetryCount: 0,
      verifiedAt: null,
      verificationChecksum: null,
      verificationFailure: null,
      checksumMismatch: false,
      verificationChecksumMismatched: null,
    },
    blob: blob ? { key: `k/${id}`, size: 1, fileStore: 'local' } : null,
    previous: { verificationState: 'verification_pending', verificationStartedAt: null },
  };
}

function primaryRecord(modelRecordId: number, checksum: string | null): ReplicableRecord {
  return {
    replicableName: 'packages_nuget_symbol',
    modelRecordId,
    blobKey: `k/${modelRecordId}`,
    size: 1,
    fileStore: 'local',
    projectId: null,
    primaryVerificationState: checksum === null ? 'verification_pending' : 'verification_succeeded',
    primaryChecksum: checksum,
    primaryVerifiedAt: null,
    attributes: {},
    createdAt: NOW,
  };
}

interface Harness {
  readonly verifier: RegistryBatchVerifier;
  readonly lookups: number[][];
  readonly checksummed: string[][];
  readonly written: RegistryVerificationResult[];
  readonly released: RegistryVerificationClaim[][];
  readonly logger: ReturnType<typeof recordingLogger>;
}

function harness(options: {
  primary: ReadonlyMap<number, ReplicableRecord> | Error;
  local?: Record<string, ChecksumOutcome> | Error;
  drop?: readonly number[];
}): Harness {
  const lookups: number[][] = [];
  const checksummed: string[][] = [];
  const written: RegistryVerificationResult[] = [];
  const released: RegistryVerificationClaim[][] = [];
  const logger = recordingLogger();
  const primary: PrimaryChecksumLookup = {
    lookUp: async (ids) => {
      lookups.push([...ids]);
      if (options.primary instanceof Error) throw options.primary;
      return options.primary;
    },
  };
  const verifier = new RegistryBatchVerifier({
    replicableName: 'packages_nuget_symbol',
    primary,
    checksum: {
      checksumAll: async (keys) => {
        checksummed.push([...keys]);
        const local = options.local;
        if (local instanceof Error) throw local;
        return keys.map((key) => local?.[key] ?? { kind: 'checksum', checksum: GOOD });
      },
    },
    sink: {
      record: async (results): Promise<RecordedRegistryVerification[]> => {
        const kept = results.filter((r) => !(options.drop ?? []).includes(r.claim.row.id));
        written.push(...kept);
        return kept.map((r) => ({
          registryId: r.claim.row.id,
          modelId: r.claim.row.modelId,
          verificationState: r.next.verificationState,
          state: r.next.state,
          checksumMismatch: r.next.checksumMismatch,
          verificationStartedAt: r.claim.row.verificationStartedAt!,
        }));
      },
    },
    claims: {
      release: async (claims) => {
        released.push([...claims]);
        return claims.length;
      },
    },
    logger,
    clock: () => NOW,
    random: () => 0,
  });
  return { verifier, lookups, checksummed, written, released, logger };
}

describe('RegistryBatchVerifier', () => {
  it('asks the primary once for the batch, reads only blobs it can compare, and records every outcome in one call', async () => {
    const claims = [claim(1), claim(2), claim(3), claim(4), claim(5, false)];
    const h = harness({
      primary: new Map([
        [10, primaryRecord(10, GOOD)],
        [20, primaryRecord(20, GOOD)],
        [30, primaryRecord(30, null)],
        [50, primaryRecord(50, GOOD)],
      ]),
      local: { 'k/2': { kind: 'checksum', checksum: BAD } },
    });
    const report = await h.verifier.verify(claims);
    expect(h.lookups).toEqual([[10, 20, 30, 40, 50]]);
    expect(h.checksummed).toEqual([['k/1', 'k/2']]);
    expect(h.written.map((r) => [r.claim.row.id, r.next.verificationState, r.next.state])).toEqual([
      [1, 'verification_succeeded', 'synced'],
      [2, 'verification_failed', 'failed'],
      [3, 'verification_disabled', 'synced'],
      [4, 'verification_disabled', 'synced'],
      [5, 'verification_failed', 'failed'],
    ]);
    expect(h.written[1]!.next).toMatchObject({ checksumMismatch: true, verificationChecksumMismatched: BAD });
    expect(h.written[4]!.next.verificationFailure).toMatch(/^Error during verification: the record of the blob is missing/);
    expect(report).toMatchObject({ succeeded: 1, failed: 2, disabled: 2, mismatched: 1, superseded: 0 });
    expect(h.released).toEqual([]);
    expect(h.logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields['registryId'])).toEqual([2, 5]);
    expect(h.logger.lines.find((l) => l.fields['registryId'] === 2)?.fields).toMatchObject({ checksum: BAD, primaryChecksum: GOOD });
  });

  it('counts results whose claim was no longer current as superseded', async () => {
    const h = harness({ primary: new Map([[10, primaryRecord(10, GOOD)], [20, primaryRecord(20, GOOD)]]), drop: [2] });
    expect(await h.verifier.verify([claim(1), claim(2)])).toMatchObject({ succeeded: 1, failed: 0, superseded: 1 });
  });

  it('releases the claims and throws when the primary cannot be asked (no row fails, nothing is read)', async () => {
    const down = new UnavailableError('primary unreachable');
    const h = harness({ primary: down });
    const claims = [claim(1), claim(2)];
    await expect(h.verifier.verify(claims)).rejects.toBe(down);
    expect(h.released).toEqual([claims]);
    expect(h.checksummed).toEqual([]);
    expect(h.written).toEqual([]);
    expect(h.logger.lines.some((l) => l.level === 'warn' && l.message.includes('claims were released'))).toBe(true);
  });

  it('releases the claims and throws when the checksummer cannot run at all', async () => {
    const h = harness({ primary: new Map([[10, primaryRecord(10, GOOD)]]), local: new UnavailableError('checksum threads stopped') });
    await expect(h.verifier.verify([claim(1)])).rejects.toThrow('checksum threads stopped');
    expect(h.released).toHaveLength(1);
    expect(h.written).toEqual([]);
  });

  it('does nothing for an empty batch', async () => {
    const h = harness({ primary: new Map() });
    expect(await h.verifier.verify([])).toMatchObject({ succeeded: 0, failed: 0, disabled: 0, superseded: 0 });
    expect(h.lookups).toEqual([]);
  });
});
