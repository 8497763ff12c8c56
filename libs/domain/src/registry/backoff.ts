import { ErrorCodes } from '../errors/codes';
import { GeoError } from '../errors/geo-error';

/**
 * GitLab `ee/lib/delay.rb` (Sidekiq's retry formula), used for both sync and verification retries.
 * Pure: callers pass `now` and the jitter source so tests are deterministic.
 */

/**
 * Ruby's `rand(n)`: returns an integer in `0 .. exclusiveMax - 1`. Production code passes
 * `mathRandomJitter`; tests pass a constant (e.g. `() => 0` or `() => 29`) to pin the extremes.
 */
export type JitterSource = (exclusiveMax: number) => number;

/** Default jitter (not I/O, just non-deterministic). */
export const mathRandomJitter: JitterSource = (exclusiveMax) => Math.floor(Math.random() * exclusiveMax);

/** `rand(30)`: the jitter factor is 0..29, multiplied by `n + 1`. */
export const JITTER_RANGE = 30;

/** Default cap of `next_retry_time` (GitLab `1.hour`). */
export const DEFAULT_MAX_RETRY_WAIT_SECONDS = 60 * 60;

/** Cap used by `failed!(missing_on_primary: true)`: a file missing on the primary is retried less often. */
export const MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS = 4 * 60 * 60;

function jitter(random: JitterSource): number {
  const value = random(JITTER_RANGE);
  // A broken jitter source would silently produce wrong retry times; fail loudly instead.
  if (!Number.isInteger(value) || value < 0 || value >= JITTER_RANGE) {
    throw new GeoError(ErrorCodes.INTERNAL, `jitter source returned ${value}, expected an integer in 0..${JITTER_RANGE - 1}`);
  }
  return value;
}

/** `delay(n) = n⁴ + 15 + rand(30) × (n + 1)` seconds. */
export function delaySeconds(retryCount: number, random: JitterSource): number {
  return retryCount ** 4 + 15 + jitter(random) * (retryCount + 1);
}

export interface NextRetryTimeOptions {
  /** Cap in seconds; `DEFAULT_MAX_RETRY_WAIT_SECONDS` (1 h) unless the file is missing on the primary (4 h). */
  readonly capSeconds?: number;
  readonly random: JitterSource;
}

/**
 * `next_retry_time(n, max) = min(now + delay(n), now + max + delay(1))`. The cap term draws its own
 * jitter (`delay(1)`, 16–74 s) so capped retries of many rows still spread out. `delay(n)` is drawn
 * first, as in Ruby.
 */
export function nextRetryTime(retryCount: number, now: Date, options: NextRetryTimeOptions): Date {
  const cap = options.capSeconds ?? DEFAULT_MAX_RETRY_WAIT_SECONDS;
  const uncapped = delaySeconds(retryCount, options.random);
  const capped = cap + delaySeconds(1, options.random);
  return new Date(now.getTime() + Math.min(uncapped, capped) * 1000);
}
