import { ErrorCodes, UnavailableError, type LoggerPort } from '@geo/domain';
import type { RecordedVerification, VerificationClaim, VerificationResult } from '@geo/pg';
import type { ChecksumOutcome } from '../shared/blob-checksum';
import { BatchVerifier } from './batch-verifier';

const now = new Date('2026-11-25T12:00:00Z');

function claim(id: number): VerificationClaim {
  return {
    state: {
      id,
      modelId: id + 100,
      verificationState: 'verification_started',
      verificationStartedAt: new Date('2026-11-25T11:00:00Z'),
      verificationRetryAt: null,
      verificationRetryCount: 0,
      verifiedAt: null,
      verificationChecksum: null,
      verificationFailure: null,
    },
    blob: { key: `k/${id}`, size: 1, fileStore: 1 },
  };
}

/** Records every result it gets (unless told to drop some) and keeps them for assertions. */
function recordingSink(drop: readonly number[] = []) {
  const written: VerificationResult[] = [];
  return {
    written,
    record: async (results: readonly VerificationResult[]): Promise<RecordedVerification[]> => {
      const kept = results.filter((r) => !drop.includes(r.claim.state.id));
      written.push(...kept);
      return kept.map((r) => ({
        stateId: r.claim.state.id,
        modelId: r.claim.state.modelId,
        verificationState: r.next.verificationState,
        verificationStartedAt: r.claim.state.verificationStartedAt!,
      }));
    },
  };
}

function logger(lines: string[]): LoggerPort {
  return { info: () => undefined, warn: (_f, m) => lines.push(`warn ${m}`), error: (_f, m) => lines.push(`error ${m}`) };
}

describe('BatchVerifier', () => {
  it('checksums the batch in one call and records one result per claim, counting successes, failures and superseded rows', async () => {
    const calls: string[][] = [];
    const sink = recordingSink([3]);
    const lines: string[] = [];
    const verifier = new BatchVerifier({
      replicableName: 'packages_nuget_symbol',
      checksum: {
        checksumAll: async (keys): Promise<ChecksumOutcome[]> => {
          calls.push([...keys]);
          return keys.map((key) => (key === 'k/2' ? { kind: 'error', message: 'File is not checksummable' } : { kind: 'checksum', checksum: 'ab'.repeat(32) }));
        },
      },
      sink,
      logger: logger(lines),
      clock: () => now,
      random: () => 0,
    });
    const report = await verifier.verify([claim(1), claim(2), claim(3)]);
    expect(calls).toEqual([['k/1', 'k/2', 'k/3']]);
    expect(report).toMatchObject({ succeeded: 1, failed: 1, superseded: 1 });
    expect(sink.written.map((r) => [r.claim.state.id, r.next.verificationState, r.next.verificationFailure])).toEqual([
      [1, 'verification_succeeded', null],
      [2, 'verification_failed', 'Error during verification: File is not checksummable'],
    ]);
    expect(lines).toEqual(['warn checksum: verification failed']);
  });

  it('fails every row of the batch (with backoff) when the checksummer cannot run at all, instead of leaving them started', async () => {
    const sink = recordingSink();
    const lines: string[] = [];
    const verifier = new BatchVerifier({
      replicableName: 'packages_nuget_symbol',
      checksum: { checksumAll: () => Promise.reject(new UnavailableError('checksum threads are not running')) },
      sink,
      logger: logger(lines),
      clock: () => now,
      random: () => 0,
    });
    const report = await verifier.verify([claim(1), claim(2)]);
    expect(report).toMatchObject({ succeeded: 0, failed: 2, superseded: 0 });
    for (const result of sink.written) {
      expect(result.next).toMatchObject({
        verificationState: 'verification_failed',
        verificationFailure: 'Error during verification: checksum threads are not running',
        verificationRetryCount: 1,
        verificationRetryAt: new Date(now.getTime() + 16_000),
      });
    }
    expect(lines[0]).toBe('error checksum: checksumming a batch failed');
  });

  it('refuses a checksummer answer with the wrong number of outcomes (a bug) without recording anything', async () => {
    const sink = recordingSink();
    const verifier = new BatchVerifier({
      replicableName: 'packages_nuget_symbol',
      checksum: { checksumAll: async () => [{ kind: 'checksum', checksum: 'aa' }] },
      sink,
      logger: logger([]),
    });
    await expect(verifier.verify([claim(1), claim(2)])).rejects.toMatchObject({ code: ErrorCodes.INTERNAL });
    expect(sink.written).toEqual([]);
  });

  it('does nothing for an empty batch', async () => {
    const sink = recordingSink();
    const verifier = new BatchVerifier({
      replicableName: 'packages_nuget_symbol',
      checksum: { checksumAll: () => Promise.reject(new Error('must not be called')) },
      sink,
      logger: logger([]),
    });
    await expect(verifier.verify([])).resolves.toEqual({ succeeded: 0, failed: 0, superseded: 0, recorded: [] });
  });
});
