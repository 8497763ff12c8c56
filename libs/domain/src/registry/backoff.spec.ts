import {
  DEFAULT_MAX_RETRY_WAIT_SECONDS,
  MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS,
  delaySeconds,
  nextRetryTime,
  type JitterSource,
} from './backoff';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const low: JitterSource = () => 0;
const high: JitterSource = () => 29;
const waitSeconds = (at: Date): number => (at.getTime() - NOW.getTime()) / 1000;

/** A jitter source that replays a fixed sequence (to check the order of the two draws). */
function sequence(...values: number[]): JitterSource {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('constants', () => {
  it('caps at 1 h by default and 4 h when missing on the primary', () => {
    expect(DEFAULT_MAX_RETRY_WAIT_SECONDS).toBe(3600);
    expect(MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS).toBe(14400);
  });
});

describe('delaySeconds = n⁴ + 15 + rand(30)·(n+1)', () => {
  it.each([
    [0, 15, 44],
    [1, 16, 74],
    [2, 31, 118],
    [5, 640, 814],
  ])('n=%i → %i..%i', (n, min, max) => {
    expect(delaySeconds(n, low)).toBe(min);
    expect(delaySeconds(n, high)).toBe(max);
  });

  it.each([[-1], [30], [1.5], [Number.NaN]])('rejects a jitter source returning %p', (bad) => {
    expect(() => delaySeconds(1, () => bad)).toThrow(/jitter source/);
  });

  it('asks the jitter source for rand(30)', () => {
    const seen: number[] = [];
    delaySeconds(3, (max) => {
      seen.push(max);
      return 0;
    });
    expect(seen).toEqual([30]);
  });
});

describe('nextRetryTime bounds (jitter 0 and 29)', () => {
  // n, 1 h cap min..max, 4 h cap min..max — written out by hand from the formula.
  it.each([
    [1, 16, 74, 16, 74],
    [2, 31, 118, 31, 118],
    [3, 96, 212, 96, 212],
    [4, 271, 416, 271, 416],
    [5, 640, 814, 640, 814],
    [6, 1311, 1514, 1311, 1514],
    [7, 2416, 2648, 2416, 2648],
    [8, 3616, 3674, 4111, 4372], // 1 h cap reached
    [9, 3616, 3674, 6576, 6866],
    [10, 3616, 3674, 10015, 10334],
    [11, 3616, 3674, 14416, 14474], // 4 h cap reached
    [12, 3616, 3674, 14416, 14474],
  ])('n=%i → 1 h: %i..%i s, 4 h: %i..%i s', (n, min1h, max1h, min4h, max4h) => {
    expect(waitSeconds(nextRetryTime(n, NOW, { random: low }))).toBe(min1h);
    expect(waitSeconds(nextRetryTime(n, NOW, { random: high }))).toBe(max1h);
    expect(waitSeconds(nextRetryTime(n, NOW, { capSeconds: 3600, random: high }))).toBe(max1h);
    expect(waitSeconds(nextRetryTime(n, NOW, { capSeconds: MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS, random: low }))).toBe(min4h);
    expect(waitSeconds(nextRetryTime(n, NOW, { capSeconds: MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS, random: high }))).toBe(max4h);
  });

  it('draws delay(n) first and the cap jitter delay(1) second', () => {
    // delay(8) with 29 = 4372, cap with 0 = 3616 → 3616; swapped: 4111 vs 3674 → 3674.
    expect(waitSeconds(nextRetryTime(8, NOW, { random: sequence(29, 0) }))).toBe(3616);
    expect(waitSeconds(nextRetryTime(8, NOW, { random: sequence(0, 29) }))).toBe(3674);
  });

  it('does not mutate now', () => {
    const now = new Date(NOW.getTime());
    nextRetryTime(3, now, { random: low });
    expect(now.getTime()).toBe(NOW.getTime());
  });
});
