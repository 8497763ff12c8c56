import type { RecordedVerification, StoredVerificationState, VerificationClaim, VerificationResult } from '@geo/pg';
import { CoalescingResultSink, coalescingClaimer, PRIMARY_CLAIM_KEYS } from './coalescing';

function claim(id: number, startedAtMs = 1_000): VerificationClaim {
  const state: StoredVerificationState = {
    id,
    modelId: id + 100,
    verificationState: 'verification_started',
    verificationStartedAt: new Date(startedAtMs),
    verificationRetryAt: null,
    verificationRetryCount: 0,
    verifiedAt: null,
    verificationChecksum: null,
    verificationFailure: null,
  };
  return { state, blob: { key: `k/${id}`, size: 1, fileStore: 1 } };
}

function succeeded(c: VerificationClaim): VerificationResult {
  return { claim: c, next: { ...c.state, verificationState: 'verification_succeeded', verificationChecksum: 'aa', verifiedAt: new Date(2_000) } };
}

function recorded(c: VerificationClaim): RecordedVerification {
  return { stateId: c.state.id, modelId: c.state.modelId, verificationState: 'verification_succeeded', verificationStartedAt: c.state.verificationStartedAt! };
}

describe('coalescingClaimer', () => {
  it('claims for concurrent jobs in one statement and hands out the rows in claim order, each job at most its limit', async () => {
    const limits: number[] = [];
    let available = [1, 2, 3, 4, 5, 6, 7].map((id) => claim(id));
    const claimer = coalescingClaimer(
      {
        claimBatch: async (limit) => {
          limits.push(limit);
          const taken = available.slice(0, limit);
          available = available.slice(limit);
          return taken;
        },
      },
      { maxInputs: 10, maxInFlight: 1 },
    );
    const first = claimer.claimBatch(1); // runs alone
    const merged = [claimer.claimBatch(3), claimer.claimBatch(3), claimer.claimBatch(3)];
    expect((await first).map((c) => c.state.id)).toEqual([1]);
    const batches = await Promise.all(merged);
    expect(limits).toEqual([1, 9]);
    expect(batches.map((b) => b.map((c) => c.state.id))).toEqual([[2, 3, 4], [5, 6, 7], []]);
  });
});

describe('CoalescingResultSink', () => {
  it('records concurrently finished batches in one call and gives each batch exactly its own recorded rows', async () => {
    const calls: VerificationResult[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sink = new CoalescingResultSink(
      {
        record: async (results) => {
          calls.push([...results]);
          if (calls.length === 1) await gate;
          // Row 4 was re-marked meanwhile: its result is not written.
          return results.filter((r) => r.claim.state.id !== 4).map((r) => recorded(r.claim));
        },
      },
      PRIMARY_CLAIM_KEYS,
      { maxInputs: 10, maxInFlight: 1 },
    );
    const lone = sink.record([succeeded(claim(1))]);
    const a = sink.record([succeeded(claim(2)), succeeded(claim(3))]);
    const b = sink.record([succeeded(claim(4)), succeeded(claim(5))]);
    release();
    expect((await lone).map((r) => r.stateId)).toEqual([1]);
    expect((await a).map((r) => r.stateId)).toEqual([2, 3]);
    expect((await b).map((r) => r.stateId)).toEqual([5]);
    expect(calls.map((c) => c.map((r) => r.claim.state.id))).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('matches on the claim token: of two claims of one row in a bulk call, only the written one is reported', async () => {
    const stale = claim(9, 1_000);
    const current = claim(9, 5_000);
    const bulkSizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sink = new CoalescingResultSink(
      {
        record: async (results) => {
          bulkSizes.push(results.length);
          if (bulkSizes.length === 1) await gate;
          return results.some((r) => r.claim === current) ? [recorded(current)] : [];
        },
      },
      PRIMARY_CLAIM_KEYS,
      { maxInputs: 10, maxInFlight: 1 },
    );
    const blocker = sink.record([succeeded(claim(1))]);
    const outputs = Promise.all([sink.record([succeeded(stale)]), sink.record([succeeded(current)])]);
    release();
    await blocker;
    const [staleOut, currentOut] = await outputs;
    expect(bulkSizes).toEqual([1, 2]);
    expect(staleOut).toEqual([]);
    expect(currentOut.map((r) => r.verificationStartedAt.getTime())).toEqual([5_000]);
  });
});
