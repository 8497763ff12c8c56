import { InvalidTransitionError, ValidationError } from '../errors/geo-error';
import type { TransitionContext } from '../state-machine';
import {
  VERIFICATION_EVENTS,
  VERIFICATION_STATE_NAMES,
  applyVerificationEvent,
  canApplyVerificationEvent,
  decodeVerificationState,
  encodeVerificationState,
  isVerificationTimedOut,
  updatedDuringChecksum,
  verificationErrorEvent,
  verificationFailedWithMessage,
  verificationTimeoutValues,
  type VerificationEvent,
  type VerificationEventInput,
  type VerificationFields,
  type VerificationState,
} from './verification-state';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const EARLIER = new Date('2025-12-31T00:00:00.000Z');
const ctx: TransitionContext = { now: NOW, random: () => 0 };
const secondsAfterNow = (s: number): Date => new Date(NOW.getTime() + s * 1000);

/** A primary `*_states` row (plus an unrelated column that must survive transitions). */
function stateRow(verificationState: VerificationState, overrides: Partial<VerificationFields> = {}): VerificationFields & { packagesNugetSymbolId: number } {
  return {
    packagesNugetSymbolId: 7,
    verificationState,
    verificationStartedAt: EARLIER,
    verificationRetryAt: EARLIER,
    verificationRetryCount: 2,
    verifiedAt: EARLIER,
    verificationChecksum: 'abc',
    verificationFailure: 'old failure',
    ...overrides,
  };
}

function inputFor(event: VerificationEvent): VerificationEventInput {
  switch (event) {
    case 'verification_succeeded':
      return { event, checksum: 'def' };
    case 'verification_failed':
      return { event, failure: 'boom' };
    case 'verification_started':
    case 'verification_disabled':
    case 'verification_pending':
      return { event };
  }
}

describe('verification state values', () => {
  it.each([
    ['verification_pending', 0],
    ['verification_started', 1],
    ['verification_succeeded', 2],
    ['verification_failed', 3],
    ['verification_disabled', 4],
  ] as const)('%s ⇄ %i', (name, value) => {
    expect(encodeVerificationState(name)).toBe(value);
    expect(decodeVerificationState(value)).toBe(name);
  });

  it.each([-1, 5])('decoding %p throws', (value) => {
    expect(() => decodeVerificationState(value)).toThrow(/unknown verification_state value/);
  });
});

describe('verification transition table: every (from, event) pair', () => {
  // Independent expectation from verification_state_definition.rb: only succeeded is restricted (from started).
  const P = 'verification_pending';
  const St = 'verification_started';
  const Su = 'verification_succeeded';
  const F = 'verification_failed';
  const D = 'verification_disabled';
  const expected: Record<VerificationState, Record<VerificationEvent, VerificationState | null>> = {
    verification_pending: { verification_started: St, verification_succeeded: null, verification_failed: F, verification_disabled: D, verification_pending: P },
    verification_started: { verification_started: St, verification_succeeded: Su, verification_failed: F, verification_disabled: D, verification_pending: P },
    verification_succeeded: { verification_started: St, verification_succeeded: null, verification_failed: F, verification_disabled: D, verification_pending: P },
    verification_failed: { verification_started: St, verification_succeeded: null, verification_failed: F, verification_disabled: D, verification_pending: P },
    verification_disabled: { verification_started: St, verification_succeeded: null, verification_failed: F, verification_disabled: D, verification_pending: P },
  };
  const pairs = VERIFICATION_STATE_NAMES.flatMap((from) => VERIFICATION_EVENTS.map((event) => [from, event, expected[from][event]] as const));

  it('covers the 5 × 5 product', () => {
    expect(pairs).toHaveLength(25);
  });

  it.each(pairs)('%s --%s--> %p', (from, event, to) => {
    expect(canApplyVerificationEvent(from, event)).toBe(to !== null);
    if (to === null) {
      expect(() => applyVerificationEvent(stateRow(from), inputFor(event), ctx)).toThrow(InvalidTransitionError);
    } else {
      expect(applyVerificationEvent(stateRow(from), inputFor(event), ctx).verificationState).toBe(to);
    }
  });
});

describe('verification side effects', () => {
  it.each(VERIFICATION_STATE_NAMES)('started from %s sets verification_started_at = now only', (from) => {
    const before = stateRow(from);
    expect(applyVerificationEvent(before, { event: 'verification_started' }, ctx)).toEqual({
      ...before,
      verificationState: 'verification_started',
      verificationStartedAt: NOW,
    });
  });

  it('succeeded stores the checksum, sets verified_at and clears the failure fields', () => {
    const before = stateRow('verification_started');
    expect(applyVerificationEvent(before, { event: 'verification_succeeded', checksum: 'f00d' }, ctx)).toEqual({
      ...before,
      verificationState: 'verification_succeeded',
      verificationChecksum: 'f00d',
      verifiedAt: NOW,
      verificationRetryCount: 0,
      verificationRetryAt: null,
      verificationFailure: null,
    });
  });

  it('succeeded requires a checksum', () => {
    expect(() => applyVerificationEvent(stateRow('verification_started'), { event: 'verification_succeeded', checksum: '' }, ctx)).toThrow(ValidationError);
  });

  it.each(VERIFICATION_STATE_NAMES)('failed from %s bumps the retry count, backs off (1 h cap) and sets verified_at', (from) => {
    const before = stateRow(from, { verificationRetryCount: 0 });
    expect(applyVerificationEvent(before, { event: 'verification_failed', failure: 'boom' }, ctx)).toEqual({
      ...before,
      verificationState: 'verification_failed',
      verificationFailure: 'boom',
      verificationRetryCount: 1,
      verificationRetryAt: secondsAfterNow(16),
      verifiedAt: NOW,
    });
  });

  it.each([
    [undefined, 'abc'],
    [null, null],
    ['local', 'local'],
  ])('failed with checksum %p leaves verification_checksum = %p', (checksum, expected) => {
    const input: VerificationEventInput = checksum === undefined ? { event: 'verification_failed', failure: 'x' } : { event: 'verification_failed', failure: 'x', checksum };
    expect(applyVerificationEvent(stateRow('verification_started'), input, ctx).verificationChecksum).toBe(expected);
  });

  it('failed caps the backoff at 1 h + delay(1)', () => {
    const next = applyVerificationEvent(stateRow('verification_started', { verificationRetryCount: 11 }), { event: 'verification_failed', failure: 'x' }, ctx);
    expect(next.verificationRetryCount).toBe(12);
    expect(next.verificationRetryAt).toEqual(secondsAfterNow(3616));
  });

  it('failed requires a failure text and truncates a long one to 255', () => {
    expect(() => applyVerificationEvent(stateRow('verification_started'), { event: 'verification_failed', failure: '' }, ctx)).toThrow(ValidationError);
    const next = applyVerificationEvent(stateRow('verification_started'), { event: 'verification_failed', failure: 'y'.repeat(400) }, ctx);
    expect(next.verificationFailure).toBe(`${'y'.repeat(252)}...`);
  });

  it('pending from failed clears only the failure text, keeping the backoff', () => {
    const before = stateRow('verification_failed');
    expect(applyVerificationEvent(before, { event: 'verification_pending' }, ctx)).toEqual({
      ...before,
      verificationState: 'verification_pending',
      verificationFailure: null,
    });
  });

  it.each(['verification_pending', 'verification_started', 'verification_succeeded', 'verification_disabled'] as const)(
    'pending from %s clears all failure fields',
    (from) => {
      const before = stateRow(from);
      expect(applyVerificationEvent(before, { event: 'verification_pending' }, ctx)).toEqual({
        ...before,
        verificationState: 'verification_pending',
        verificationRetryCount: 0,
        verificationRetryAt: null,
        verificationFailure: null,
      });
    },
  );

  it.each(VERIFICATION_STATE_NAMES)('disabled from %s changes only the state', (from) => {
    const before = stateRow(from);
    expect(applyVerificationEvent(before, { event: 'verification_disabled' }, ctx)).toEqual({ ...before, verificationState: 'verification_disabled' });
  });
});

describe('primary verify outcome helpers', () => {
  it('an error during checksumming fails with "Error during verification: <msg>" and a NULL checksum', () => {
    expect(verificationErrorEvent('File is not checksummable')).toEqual({
      event: 'verification_failed',
      failure: 'Error during verification: File is not checksummable',
      checksum: null,
    });
    const next = applyVerificationEvent(stateRow('verification_started'), verificationErrorEvent('ENOENT'), ctx);
    expect(next).toMatchObject({ verificationState: 'verification_failed', verificationChecksum: null, verificationFailure: 'Error during verification: ENOENT' });
  });

  it('truncates the error text to 255', () => {
    const event = verificationErrorEvent('z'.repeat(500));
    expect(event).toEqual({ event: 'verification_failed', failure: `Error during verification: ${'z'.repeat(225)}...`, checksum: null });
  });

  it('verificationFailedWithMessage without an error uses the message alone', () => {
    expect(verificationFailedWithMessage('Verification timed out after 28800')).toEqual({
      event: 'verification_failed',
      failure: 'Verification timed out after 28800',
      checksum: null,
    });
  });

  it.each([
    ['re-marked after the calculation started', new Date(NOW.getTime() + 1), true],
    ['same instant', NOW, false],
    ['earlier', EARLIER, false],
    ['null', null, false],
  ])('updatedDuringChecksum: %s → %p', (_label, reloaded, expected) => {
    expect(updatedDuringChecksum(reloaded, NOW)).toBe(expected);
  });
});

describe('verification timeout sweep', () => {
  it('produces the bulk update values', () => {
    expect(verificationTimeoutValues(28800, ctx)).toEqual({
      verificationState: 'verification_failed',
      verificationFailure: 'Verification timed out after 28800',
      verificationChecksum: null,
      verificationRetryCount: 1,
      verificationRetryAt: secondsAfterNow(16),
      verifiedAt: NOW,
    });
  });

  it.each([
    ['started 8 h + 1 s ago', 'verification_started', 28801, true],
    ['started exactly 8 h ago', 'verification_started', 28800, false],
    ['pending long ago', 'verification_pending', 99999, false],
  ] as const)('%s → %p', (_label, verificationState, ageSeconds, expected) => {
    const verificationStartedAt = new Date(NOW.getTime() - ageSeconds * 1000);
    expect(isVerificationTimedOut({ verificationState, verificationStartedAt }, NOW, 28800)).toBe(expected);
  });
});
