import { ValidationError } from '@geo/domain';
import { GEO_SYNC_JOBS_SUBJECT_PREFIX } from './presets';

/**
 * One download job on a site's `GEO_SYNC_JOBS` work queue (ADR 0004 §5). The scheduler publishes
 * it after moving the registry row to `started`; `attempt` is the row's `last_synced_at` at that
 * moment (millisecond precision, so it round-trips through JSON exactly). A worker may complete the
 * attempt only while the row is still `started` with that `last_synced_at`.
 */
export interface SyncJob {
  readonly replicableName: string;
  readonly modelRecordId: number;
  readonly attempt: Date;
  /**
   * Propagation fields of the trace the job continues (the `created` event that made its row,
   * ADR 0009); the publisher makes it the parent of the publish span. Never in the body: the trace
   * travels in the message's headers, so decoded jobs do not have it.
   */
  readonly traceContext?: Readonly<Record<string, string>>;
}

interface SyncJobJson {
  readonly replicable_name: string;
  readonly model_record_id: number;
  /** Milliseconds since the epoch. */
  readonly attempt: number;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/** `geo.v1.jobs.sync.<replicable_name>`. */
export function syncJobSubject(replicableName: string, prefix = GEO_SYNC_JOBS_SUBJECT_PREFIX): string {
  if (!NAME.test(replicableName)) throw new ValidationError(`invalid replicable name ${JSON.stringify(replicableName)}`);
  return `${prefix}.${replicableName}`;
}

/** `Nats-Msg-Id` of a job: one message per attempt, so a re-publish of the same attempt is deduplicated. */
export function syncJobMessageId(job: SyncJob): string {
  return `${job.replicableName}:${job.modelRecordId}:${job.attempt.getTime()}`;
}

export function encodeSyncJob(job: SyncJob): Uint8Array {
  const body: SyncJobJson = { replicable_name: job.replicableName, model_record_id: job.modelRecordId, attempt: job.attempt.getTime() };
  return new TextEncoder().encode(JSON.stringify(body));
}

/** Parses a job; a malformed one is a `ValidationError` (the consumer terminates it, never retries). */
export function decodeSyncJob(data: Uint8Array): SyncJob {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch (error) {
    throw new ValidationError('sync job is not JSON', { cause: error });
  }
  const b = body as Partial<SyncJobJson> | null;
  if (
    b === null ||
    typeof b !== 'object' ||
    typeof b.replicable_name !== 'string' ||
    !NAME.test(b.replicable_name) ||
    typeof b.model_record_id !== 'number' ||
    !Number.isSafeInteger(b.model_record_id) ||
    b.model_record_id <= 0 ||
    typeof b.attempt !== 'number' ||
    !Number.isSafeInteger(b.attempt)
  ) {
    throw new ValidationError('sync job has missing or invalid fields');
  }
  return { replicableName: b.replicable_name, modelRecordId: b.model_record_id, attempt: new Date(b.attempt) };
}

/**
 * Core-NATS subject (on the site's own server) that wakes the scheduler at once when new pending
 * rows exist (an applied `created` event, a resync), instead of waiting for its next poll.
 */
export const GEO_SYNC_NUDGE_SUBJECT = 'geo.v1.nudge.sync';
