import { ValidationError } from './errors/geo-error';

/** Exponential backoff bounds for the relay's retries (publish, database, NATS connect). */
export interface RetryDelayPolicy {
  /** Delay after the first consecutive failure. */
  readonly initialMs: number;
  /** Ceiling: a long outage is retried this often, so recovery is noticed within `maxMs`. */
  readonly maxMs: number;
}

/** 100 ms doubling to 5 s: fast recovery from a blip, at most one attempt (and one warn line) per 5 s in an outage. */
export const DEFAULT_RETRY_DELAY: RetryDelayPolicy = { initialMs: 100, maxMs: 5000 };

/**
 * Wait before the next attempt after `failures` consecutive failures (1 = the first):
 * `min(initialMs × 2^(failures−1), maxMs)`. No jitter: one relay per site retries against one
 * NATS server, so there is no herd to spread out.
 */
export function retryDelayMs(failures: number, policy: RetryDelayPolicy = DEFAULT_RETRY_DELAY): number {
  if (!Number.isInteger(failures) || failures < 1) {
    throw new ValidationError(`failures must be a positive integer, got ${failures}`);
  }
  if (!(policy.initialMs > 0) || !(policy.maxMs >= policy.initialMs)) {
    throw new ValidationError(`retry delay needs 0 < initialMs <= maxMs, got ${policy.initialMs} and ${policy.maxMs}`);
  }
  // Cap the exponent before computing: 2 ** 1100 is Infinity, and Infinity × 0.x stays Infinity.
  const doublings = Math.min(failures - 1, 52);
  return Math.min(policy.initialMs * 2 ** doublings, policy.maxMs);
}
