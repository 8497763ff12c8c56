import { REJECT_REASONS, type RejectReason, inspectNupkg, inspectSnupkg, nugetIdsEqual, nugetVersionsEqual, rejectReasonOf } from '@geo/nuget-format';
import { httpStatusFor, isGeoError } from '@geo/domain';
import { MALFORMED_SYMBOL_PACKAGES, TEST_PACKAGE_LIMITS } from './malformed-packages';

const CTX = { id: 'Malformed.Case', version: '1.0.0' };
/** Reasons no case covers, and why. */
const NOT_COVERED: Readonly<Partial<Record<RejectReason, string>>> = {
  'package.too_large': 'the HTTP layer rejects oversized bodies first; the gateway test pushes one itself',
};

describe('MALFORMED_SYMBOL_PACKAGES', () => {
  it('has at least 30 uniquely named cases', () => {
    expect(MALFORMED_SYMBOL_PACKAGES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(MALFORMED_SYMBOL_PACKAGES.map((c) => c.name)).size).toBe(MALFORMED_SYMBOL_PACKAGES.length);
  });

  it('covers every reject reason', () => {
    const covered = new Set(MALFORMED_SYMBOL_PACKAGES.map((c) => c.expectedReason));
    const missing = REJECT_REASONS.filter((reason) => !covered.has(reason) && NOT_COVERED[reason] === undefined);
    expect(missing).toEqual([]);
  });

  it('stays inside the test package size limit', () => {
    for (const testCase of MALFORMED_SYMBOL_PACKAGES) expect(testCase.build(CTX).length).toBeLessThanOrEqual(TEST_PACKAGE_LIMITS.maxPackageBytes);
  });

  const rejectedCases = MALFORMED_SYMBOL_PACKAGES.filter((c) => c.expectedReason !== null);
  it.each(rejectedCases.map((c) => [c.name, c] as const))('%s is rejected with its reason, status and message', async (_name, testCase) => {
    const inspect = testCase.kind === 'snupkg' ? inspectSnupkg : inspectNupkg;
    let caught: unknown;
    try {
      await inspect(testCase.build(CTX), TEST_PACKAGE_LIMITS);
    } catch (error) {
      caught = error;
    }
    expect(isGeoError(caught)).toBe(true);
    expect({
      reason: rejectReasonOf(caught),
      status: isGeoError(caught) ? httpStatusFor(caught.code) : undefined,
      message: (caught as Error).message,
    }).toEqual({ reason: testCase.expectedReason, status: testCase.expectedStatus, message: expect.stringContaining(testCase.messageIncludes) });
  });

  const notFoundCases = MALFORMED_SYMBOL_PACKAGES.filter((c) => c.expectedReason === null);
  it.each(notFoundCases.map((c) => [c.name, c] as const))('%s parses but names another package (404)', async (_name, testCase) => {
    expect(testCase.expectedStatus).toBe(404);
    const { metadata } = await inspectSnupkg(testCase.build(CTX), TEST_PACKAGE_LIMITS);
    expect(nugetIdsEqual(metadata.id, CTX.id) && nugetVersionsEqual(metadata.version, CTX.version)).toBe(false);
  });
});
