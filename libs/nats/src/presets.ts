import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ConfigError, ValidationError } from '@geo/domain';
import type { ConsumerSpec, StreamSpec } from './ensure';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Shortest dedupe window allowed: the relay must be able to republish after a restart. */
export const MIN_DUPLICATE_WINDOW_MS = 2 * MINUTE_MS;

export const GEO_EVENTS_STREAM = 'GEO_EVENTS';
export const GEO_EVENTS_SUBJECT_PREFIX = 'geo.v1.events';
export const GEO_SYNC_JOBS_STREAM = 'GEO_SYNC_JOBS';
export const GEO_SYNC_JOBS_SUBJECT_PREFIX = 'geo.v1.jobs.sync';
export const GEO_VERIFY_JOBS_STREAM = 'GEO_VERIFY_JOBS';
export const GEO_VERIFY_JOBS_SUBJECT_PREFIX = 'geo.v1.jobs.verify';

export interface StreamPresetOptions {
  /** Stream name; tests pass a unique one. */
  readonly name?: string;
  /** Subject prefix; the stream captures `<prefix>.>`. */
  readonly subjectPrefix?: string;
  /** Dedupe window for `Nats-Msg-Id` (≥ 2 min). */
  readonly duplicateWindowMs?: number;
}

export interface EventsStreamOptions extends StreamPresetOptions {
  /** How long events are kept for secondaries that are behind; default 7 days. */
  readonly maxAgeMs?: number;
}

function duplicateWindow(ms: number | undefined, fallbackMs: number): number {
  const value = ms ?? fallbackMs;
  if (value < MIN_DUPLICATE_WINDOW_MS) {
    throw new ConfigError(`duplicate window ${value} ms is below the ${MIN_DUPLICATE_WINDOW_MS} ms minimum`);
  }
  return nanos(value);
}

/**
 * `GEO_EVENTS` (primary): the replication event log. Limits retention, so every secondary's
 * durable consumer reads every event independently; events older than `maxAgeMs` are dropped
 * (the consistency sweep still converges a secondary that fell further behind). File storage.
 */
export function geoEventsStream(options: EventsStreamOptions = {}): StreamSpec {
  return {
    name: options.name ?? GEO_EVENTS_STREAM,
    subjects: [`${options.subjectPrefix ?? GEO_EVENTS_SUBJECT_PREFIX}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs ?? 7 * DAY_MS),
    duplicate_window: duplicateWindow(options.duplicateWindowMs, 5 * MINUTE_MS),
  };
}

function workQueueStream(name: string, subjectPrefix: string, options: StreamPresetOptions): StreamSpec {
  return {
    name: options.name ?? name,
    subjects: [`${options.subjectPrefix ?? subjectPrefix}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: duplicateWindow(options.duplicateWindowMs, 2 * MINUTE_MS),
  };
}

/**
 * `GEO_SYNC_JOBS` (each site): download jobs for blob-transfer workers. Work-queue retention: a
 * job is removed once acked, and each job goes to one worker. The registry stays the source of
 * truth, so a lost job only delays a sync until the scheduler re-enqueues it.
 */
export function geoSyncJobsStream(options: StreamPresetOptions = {}): StreamSpec {
  return workQueueStream(GEO_SYNC_JOBS_STREAM, GEO_SYNC_JOBS_SUBJECT_PREFIX, options);
}

/** `GEO_VERIFY_JOBS` (each site): checksum jobs, work-queue retention like `GEO_SYNC_JOBS`. */
export function geoVerifyJobsStream(options: StreamPresetOptions = {}): StreamSpec {
  return workQueueStream(GEO_VERIFY_JOBS_STREAM, GEO_VERIFY_JOBS_SUBJECT_PREFIX, options);
}

export interface PullConsumerOptions {
  /** Durable name, e.g. `geo-<site name>` for the event-log cursor. */
  readonly durable: string;
  /** Only this subject (one filter: nats-server 2.9 has no multi-filter consumers). */
  readonly filterSubject?: string;
  /** Time a delivered message may stay unacked before redelivery; default 30 s. */
  readonly ackWaitMs?: number;
  /** Deliveries before the server gives up on a message; default unlimited (-1). */
  readonly maxDeliver?: number;
  /** Unacked messages in flight across all workers; default 1000. */
  readonly maxAckPending?: number;
  /**
   * Where a new durable starts: `all` (default) from the first message the stream holds, `new` with
   * the messages published after its creation. An existing durable keeps its position either way.
   */
  readonly startAt?: 'all' | 'new';
}

/** A durable pull consumer with explicit acks, reading from the start of the stream unless `startAt: 'new'`. */
export function pullConsumer(options: PullConsumerOptions): ConsumerSpec {
  return {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: options.startAt === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    max_deliver: options.maxDeliver ?? -1,
    max_ack_pending: options.maxAckPending ?? 1000,
    ...(options.filterSubject === undefined ? {} : { filter_subject: options.filterSubject }),
  };
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/** `geo.v1.events.<replicable>.<event>`; rejects tokens that would add levels or wildcards. */
export function geoEventSubject(replicableName: string, eventName: string, prefix = GEO_EVENTS_SUBJECT_PREFIX): string {
  for (const token of [replicableName, eventName]) {
    if (!SUBJECT_TOKEN.test(token)) throw new ValidationError(`invalid subject token ${JSON.stringify(token)}`);
  }
  return `${prefix}.${replicableName}.${eventName}`;
}
