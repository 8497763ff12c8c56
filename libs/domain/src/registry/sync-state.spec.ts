import { InvalidTransitionError } from '../errors/geo-error';
import type { TransitionContext } from '../state-machine';
import type { VerificationState } from '../verification/verification-state';
import type { RegistryRow } from './registry-row';
import {
  SYNC_EVENTS,
  SYNC_STATE_NAMES,
  applySyncEvent,
  canApplySyncEvent,
  decodeSyncState,
  encodeSyncState,
  isSyncTimedOut,
  syncTimeoutValues,
  type SyncEvent,
  type SyncEventInput,
  type SyncState,
} from './sync-state';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const EARLIER = new Date('2025-12-31T00:00:00.000Z');
const ctx: TransitionContext = { now: NOW, random: () => 0 };
const secondsAfterNow = (s: number): Date => new Date(NOW.getTime() + s * 1000);

/** A registry row with every field set to something a transition could change. */
function row(state: SyncState, overrides: Partial<RegistryRow> = {}): RegistryRow & { id: number } {
  return {
    id: 42,
    state,
    retryCount: 3,
    retryAt: EARLIER,
    lastSyncedAt: EARLIER,
    lastSyncFailure: 'old failure',
    verificationState: 'verification_succeeded',
    verificationStartedAt: EARLIER,
    verificationRetryAt: EARLIER,
    verificationRetryCount: 2,
    verifiedAt: EARLIER,
    verificationChecksum: 'abc',
    verificationFailure: 'old verification failure',
    checksumMismatch: true,
    verificationChecksumMismatched: 'abc',
    ...overrides,
  };
}

function inputFor(event: SyncEvent): SyncEventInput {
  switch (event) {
    case 'failed':
      return { event, message: 'boom' };
    case 'synced':
      return { event, primaryVerificationSucceeded: true };
    case 'pending':
    case 'start':
    case 'resync':
      return { event };
  }
}

describe('sync state values', () => {
  it.each([
    ['pending', 0],
    ['started', 1],
    ['synced', 2],
    ['failed', 3],
  ] as const)('%s ⇄ %i', (name, value) => {
    expect(encodeSyncState(name)).toBe(value);
    expect(decodeSyncState(value)).toBe(name);
  });

  it.each([-1, 4, 1.5])('decoding %p throws', (value) => {
    expect(() => decodeSyncState(value)).toThrow(/unknown registry state value/);
  });
});

describe('sync transition table: every (from, event) pair', () => {
  // Independent expectation, written out from GitLab's replicable_registry.rb: target or null (rejected).
  const expected: Record<SyncState, Record<SyncEvent, SyncState | null>> = {
    pending: { pending: 'pending', start: 'started', failed: 'failed', resync: null, synced: null },
    started: { pending: 'pending', start: null, failed: 'failed', resync: null, synced: 'synced' },
    synced: { pending: 'pending', start: 'started', failed: 'failed', resync: 'pending', synced: null },
    failed: { pending: 'pending', start: 'started', failed: 'failed', resync: 'pending', synced: null },
  };
  const pairs = SYNC_STATE_NAMES.flatMap((from) => SYNC_EVENTS.map((event) => [from, event, expected[from][event]] as const));

  it('covers the 4 × 5 product', () => {
    expect(pairs).toHaveLength(20);
  });

  it.each(pairs)('%s --%s--> %p', (from, event, to) => {
    expect(canApplySyncEvent(from, event)).toBe(to !== null);
    if (to === null) {
      expect(() => applySyncEvent(row(from), inputFor(event), ctx)).toThrow(InvalidTransitionError);
    } else {
      expect(applySyncEvent(row(from), inputFor(event), ctx).state).toBe(to);
    }
  });

  it('reports machine, event and from-state in the error', () => {
    try {
      applySyncEvent(row('started'), { event: 'start' }, ctx);
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidTransitionError);
      expect((err as InvalidTransitionError).details).toEqual({ machine: 'registry state', event: 'start', from: 'started' });
    }
  });
});

describe('sync side effects', () => {
  it.each(['pending', 'synced', 'failed'] as const)('start from %s sets last_synced_at = now and nothing else', (from) => {
    const before = row(from);
    expect(applySyncEvent(before, { event: 'start' }, ctx)).toEqual({ ...before, state: 'started', lastSyncedAt: NOW });
  });

  it.each([
    ['pending', 'pending'],
    ['pending', 'started'],
    ['pending', 'synced'],
    ['pending', 'failed'],
    ['resync', 'synced'],
    ['resync', 'failed'],
  ] as const)('%s from %s clears retry fields and last_synced_at and disables verification', (event, from) => {
    const before = row(from);
    expect(applySyncEvent(before, { event }, ctx)).toEqual({
      ...before,
      state: 'pending',
      retryAt: null,
      retryCount: 0,
      lastSyncedAt: null,
      verificationState: 'verification_disabled',
    });
  });

  it.each([
    ['message only', { message: 'Sync failed' }, 'Sync failed'],
    ['message and error', { message: 'Error syncing', errorMessage: 'ECONNRESET' }, 'Error syncing: ECONNRESET'],
    ['256 chars truncated', { message: 'x'.repeat(256) }, `${'x'.repeat(252)}...`],
    ['long error truncated', { message: 'Error syncing', errorMessage: 'e'.repeat(300) }, `Error syncing: ${'e'.repeat(237)}...`],
  ])('failed (%s) records last_sync_failure and backs off', (_label, failure, text) => {
    const before = row('started', { retryCount: 0 });
    expect(applySyncEvent(before, { event: 'failed', ...failure }, ctx)).toEqual({
      ...before,
      state: 'failed',
      lastSyncFailure: text,
      retryCount: 1,
      retryAt: secondsAfterNow(16),
    });
  });

  it.each([
    [false, 3616],
    [true, 10015],
  ])('failed with missingOnPrimary=%p caps retry n=10 at %i s', (missingOnPrimary, seconds) => {
    const next = applySyncEvent(row('started', { retryCount: 9 }), { event: 'failed', message: 'File not found', missingOnPrimary }, ctx);
    expect(next.retryCount).toBe(10);
    expect(next.retryAt).toEqual(secondsAfterNow(seconds));
  });

  it('failed leaves verification fields alone', () => {
    const before = row('synced');
    const next = applySyncEvent(before, { event: 'failed', message: 'x' }, ctx);
    expect(next.verificationState).toBe(before.verificationState);
    expect(next.verificationFailure).toBe(before.verificationFailure);
    expect(next.checksumMismatch).toBe(true);
  });

  it('synced with a verified primary clears sync failure fields and makes verification pending', () => {
    const before = row('started', { verificationState: 'verification_succeeded' });
    expect(applySyncEvent(before, { event: 'synced', primaryVerificationSucceeded: true }, ctx)).toEqual({
      ...before,
      state: 'synced',
      retryCount: 0,
      retryAt: null,
      lastSyncFailure: null,
      verificationState: 'verification_pending',
      verificationRetryCount: 0,
      verificationRetryAt: null,
      verificationFailure: null,
      checksumMismatch: false,
      verificationChecksumMismatched: null,
      lastSyncedAt: EARLIER, // the attempt's start time is kept
    });
  });

  it('synced after a verification failure keeps the verification backoff (pending from failed)', () => {
    const before = row('started', { verificationState: 'verification_failed' });
    const next = applySyncEvent(before, { event: 'synced', primaryVerificationSucceeded: true }, ctx);
    expect(next).toMatchObject({
      state: 'synced',
      verificationState: 'verification_pending',
      verificationFailure: null,
      verificationRetryCount: 2,
      verificationRetryAt: EARLIER,
      checksumMismatch: true,
      verificationChecksumMismatched: 'abc',
    });
  });

  it.each<VerificationState>(['verification_pending', 'verification_succeeded', 'verification_failed', 'verification_disabled'])(
    'synced without a verified primary disables verification (was %s)',
    (verificationState) => {
      const before = row('started', { verificationState });
      const next = applySyncEvent(before, { event: 'synced', primaryVerificationSucceeded: false }, ctx);
      expect(next).toEqual({
        ...before,
        state: 'synced',
        retryCount: 0,
        retryAt: null,
        lastSyncFailure: null,
        verificationState: 'verification_disabled',
      });
    },
  );

  it('returns a new object and leaves the input untouched', () => {
    const before = row('pending');
    const snapshot = { ...before };
    const next = applySyncEvent(before, { event: 'start' }, ctx);
    expect(next).not.toBe(before);
    expect(before).toEqual(snapshot);
    expect(next.id).toBe(42);
  });
});

describe('sync timeout sweep', () => {
  it('produces GitLab fail_sync_timeouts values', () => {
    expect(syncTimeoutValues(28800, ctx)).toEqual({
      state: 'failed',
      lastSyncFailure: 'Sync timed out after 28800',
      retryCount: 1,
      retryAt: secondsAfterNow(16),
    });
    expect(syncTimeoutValues(28800, { now: NOW, random: () => 29 }).retryAt).toEqual(secondsAfterNow(74));
  });

  it.each([
    ['started long ago', 'started', 28801, true],
    ['started exactly at the limit', 'started', 28800, false],
    ['started recently', 'started', 60, false],
    ['failed long ago', 'failed', 99999, false],
    ['pending long ago', 'pending', 99999, false],
  ] as const)('%s → %p', (_label, state, ageSeconds, timedOut) => {
    const lastSyncedAt = new Date(NOW.getTime() - ageSeconds * 1000);
    expect(isSyncTimedOut({ state, lastSyncedAt }, NOW, 28800)).toBe(timedOut);
  });

  it('a started row without last_synced_at is not timed out (SQL NULL comparison)', () => {
    expect(isSyncTimedOut({ state: 'started', lastSyncedAt: null }, NOW, 28800)).toBe(false);
  });
});
