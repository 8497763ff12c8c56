import { ErrorCodes } from './errors/codes';
import { DEFAULT_RETRY_DELAY, retryDelayMs } from './retry-delay';

describe('retryDelayMs', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1600],
    [6, 3200],
    [7, 5000],
    [8, 5000],
    [10_000, 5000],
  ])('after %i consecutive failures waits %i ms by default', (failures, expected) => {
    expect(retryDelayMs(failures)).toBe(expected);
    expect(retryDelayMs(failures, DEFAULT_RETRY_DELAY)).toBe(expected);
  });

  it.each([
    [1, { initialMs: 10, maxMs: 50 }, 10],
    [3, { initialMs: 10, maxMs: 50 }, 40],
    [4, { initialMs: 10, maxMs: 50 }, 50],
    [2, { initialMs: 250, maxMs: 250 }, 250],
  ])('after %i failures with %j waits %i ms', (failures, policy, expected) => {
    expect(retryDelayMs(failures, policy)).toBe(expected);
  });

  it.each([[0], [-1], [1.5], [Number.NaN]])('rejects failure count %p', (failures) => {
    expect(() => retryDelayMs(failures)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }) as Error);
  });

  it.each([
    [{ initialMs: 0, maxMs: 100 }],
    [{ initialMs: 200, maxMs: 100 }],
    [{ initialMs: Number.NaN, maxMs: 100 }],
  ])('rejects policy %j', (policy) => {
    expect(() => retryDelayMs(1, policy)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }) as Error);
  });
});
