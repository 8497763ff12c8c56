import {
  ConfigError,
  ErrorCodes,
  errorFields,
  isGeoError,
  UnavailableError,
  ValidationError,
  type ErrorCode,
  type LoggerPort,
  type ReplicableDefinition,
  type ReplicableRecord,
} from '@geo/domain';
import type { TraceCarrier } from '@geo/otel';
import type { EventCursorPosition } from '@geo/pg';
import { decodeEvent, type ApplicableEvent, type DecodedMessage, type EventPosition } from './decode-event';
import type { BlobRemover, EventStore, EventWrites, ReplicableCatalogue } from './ports';

/** GitLab's log cursor reads 50 events at a time (`Gitlab::Geo::LogCursor::EventLogs::BATCH_SIZE`). */
export const MAX_EVENT_BATCH_SIZE = 50;

/** What became of each message of a batch: `applied` and `skipped` are acked, `rejected` is terminated. */
export type MessageDisposition = 'applied' | 'skipped' | 'rejected';

export interface BatchResult {
  /** One per input message, in input order. */
  readonly dispositions: readonly MessageDisposition[];
  /** The highest position of the batch, now stored as the cursor; undefined when no envelope was readable. */
  readonly cursor: EventCursorPosition | undefined;
  /** Registry rows created as pending (the scheduler was nudged when > 0). */
  readonly registriesInserted: number;
  /** `created` events whose record was absent from the catalogue (deleted since, or out of scope). */
  readonly outOfScope: number;
  /** Record rows removed by `deleted` events. */
  readonly recordsDeleted: number;
  /** Registries moved to `verification_pending` by `checksum_succeeded`. */
  readonly verificationPending: number;
  /** Blob keys deleted from the store after the commit. */
  readonly blobsDeleted: readonly string[];
}

export interface EventApplierOptions {
  /** The replicable types this site replicates; events of other types are skipped. */
  readonly replicables: readonly ReplicableDefinition[];
  readonly catalogue: ReplicableCatalogue;
  readonly store: EventStore;
  readonly blobs: BlobRemover;
  /**
   * Wakes the sync scheduler (core NATS `GEO_SYNC_NUDGE_SUBJECT` on the SITE's own server). Called
   * after a commit that inserted pending registries; best effort (the scheduler also polls).
   */
  readonly nudge: () => void;
  readonly logger: LoggerPort;
}

/**
 * Catalogue refusals that are about this site or the deployment, not about one event: retrying the
 * batch later is right (an operator fixes credentials or versions), dropping events is not.
 */
const SYSTEMIC_CATALOGUE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.UNAUTHENTICATED,
  ErrorCodes.PERMISSION_DENIED,
  ErrorCodes.NOT_FOUND,
  ErrorCodes.CONFIG_INVALID,
  ErrorCodes.INTERNAL,
]);

/** Consecutive events of one type and name: the unit written with one call (order kept across runs). */
interface Run {
  readonly replicable: ReplicableDefinition;
  readonly kind: ApplicableEvent['kind'];
  readonly events: readonly ApplicableEvent[];
}

function runsOf(events: readonly ApplicableEvent[]): Run[] {
  const runs: { replicable: ReplicableDefinition; kind: ApplicableEvent['kind']; events: ApplicableEvent[] }[] = [];
  for (const event of events) {
    const last = runs.at(-1);
    if (last !== undefined && last.kind === event.kind && last.replicable.name === event.replicable.name) last.events.push(event);
    else runs.push({ replicable: event.replicable, kind: event.kind, events: [event] });
  }
  return runs;
}

function uniqueIds(events: readonly ApplicableEvent[]): number[] {
  return [...new Set(events.map((e) => e.modelRecordId))];
}

function highest(positions: readonly (EventPosition | undefined)[]): EventCursorPosition | undefined {
  let top: EventPosition | undefined;
  for (const p of positions) if (p !== undefined && (top === undefined || p.eventId > top.eventId)) top = p;
  return top === undefined ? undefined : { eventId: top.eventId, eventCreatedAt: top.eventCreatedAt };
}

/** What the transaction produced, for the after-commit steps. */
interface Applied {
  registriesInserted: number;
  outOfScope: number;
  recordsDeleted: number;
  verificationPending: number;
  /** Keys to delete once committed, in event order, without repeats. */
  readonly blobKeys: Set<string>;
}

/**
 * The secondary's log cursor use case (spec §4.5, DESIGN §4 flow 3): applies a batch of up to 50
 * `GEO_EVENTS` messages, in order, with GitLab's semantics:
 * - `created`: in this site's scope (the catalogue answers only in-scope records) → a pending
 *   registry row plus the record row; an existing registry is not reset (immutable blobs, as
 *   GitLab); out of scope → ignored.
 * - `deleted`: ALWAYS, even out of scope: registry and record rows, then the blob at the record's
 *   key (else the payload's `blob_path`, if it is a safe key of this type's store).
 * - `checksum_succeeded`: if the registry exists → `verification_pending`, and the record's primary
 *   checksum is refreshed from the same catalogue answer.
 * - unknown type or event name → skipped; unreadable message → rejected; both logged, never thrown.
 *
 * Invariants:
 * - One catalogue call per type per batch (before the transaction, so no connection is held while
 *   the primary answers); every row change of the batch and the cursor commit in ONE transaction.
 * - Rows before blobs: blobs are deleted only after the commit, so a crash in between leaves at
 *   most an orphan blob (no row points to it), never a registry whose blob is gone.
 * - Idempotent: replaying a batch changes nothing more (inserts skip existing rows, deletes of
 *   missing rows and blobs are no-ops, the cursor never moves back). A replayed
 *   `checksum_succeeded` may re-mark a since-verified registry pending: one extra verification.
 * - Consecutive events of one type and name are written with one call; that never reorders
 *   effects, since such events commute.
 *
 * Throws (nothing committed unless said): a retryable `GeoError` when the database or the primary
 * is unavailable (the caller retries the batch later); another `GeoError` when one of the events
 * cannot be applied (the caller applies the batch one message at a time to isolate it); an
 * `UnavailableError` with `details.committed = true` when only blob deletes failed after the commit
 * (a replay retries them from the payload's `blob_path`).
 */
export class EventApplier {
  constructor(private readonly options: EventApplierOptions) {
    for (const replicable of options.replicables) {
      // GitLab resets an existing registry to pending on `created` for mutable types; there is no
      // such type here, so the consumer refuses one rather than silently skipping that reset.
      if (!replicable.strategy.immutable) throw new ConfigError(`event consumer: mutable replicable ${replicable.name} is not supported`);
    }
  }

  /**
   * `traceContexts[i]` (optional, aligned with `messages`): the trace message `i` was consumed in;
   * a `created` event's new registry row keeps it for its sync job (ADR 0009).
   */
  async apply(messages: readonly (Uint8Array | string)[], signal?: AbortSignal, traceContexts?: readonly (TraceCarrier | null)[]): Promise<BatchResult> {
    if (messages.length > MAX_EVENT_BATCH_SIZE) {
      throw new ValidationError(`an event batch holds at most ${MAX_EVENT_BATCH_SIZE} messages, got ${messages.length}`);
    }
    const decoded = messages.map((data) => decodeEvent(data, this.options.replicables));
    decoded.forEach((d) => this.logDecoded(d));
    const events = decoded.flatMap((d) => (d.type === 'event' ? [d.event] : []));
    const traces = new Map<ApplicableEvent, TraceCarrier>();
    decoded.forEach((d, i) => {
      const carrier = traceContexts?.[i];
      if (d.type === 'event' && carrier !== undefined && carrier !== null) traces.set(d.event, carrier);
    });
    const cursor = highest(decoded.map((d) => d.position));
    const dispositions = decoded.map((d): MessageDisposition => (d.type === 'event' ? 'applied' : d.type === 'skip' ? 'skipped' : 'rejected'));
    if (cursor === undefined) return { dispositions, cursor, registriesInserted: 0, outOfScope: 0, recordsDeleted: 0, verificationPending: 0, blobsDeleted: [] };

    const catalogue = await this.lookUp(events, signal);
    const applied = await this.options.store.transaction(async (writes) => {
      const acc: Applied = { registriesInserted: 0, outOfScope: 0, recordsDeleted: 0, verificationPending: 0, blobKeys: new Set() };
      for (const run of runsOf(events)) await this.applyRun(writes, run, catalogue.get(run.replicable.name) ?? new Map(), acc, traces);
      await writes.advanceCursor(cursor);
      return acc;
    });

    if (applied.registriesInserted > 0) this.nudge();
    const blobsDeleted = await this.deleteBlobs([...applied.blobKeys]);
    const result: BatchResult = {
      dispositions,
      cursor,
      registriesInserted: applied.registriesInserted,
      outOfScope: applied.outOfScope,
      recordsDeleted: applied.recordsDeleted,
      verificationPending: applied.verificationPending,
      blobsDeleted,
    };
    this.options.logger.info(
      {
        events: messages.length,
        applied: events.length,
        lastEventId: cursor.eventId,
        registriesInserted: result.registriesInserted,
        outOfScope: result.outOfScope,
        recordsDeleted: result.recordsDeleted,
        verificationPending: result.verificationPending,
        blobsDeleted: blobsDeleted.length,
      },
      'event-log consumer: batch applied',
    );
    return result;
  }

  private logDecoded(d: DecodedMessage & { readonly blobKeyProblem?: string }): void {
    const { logger } = this.options;
    const eventId = d.position?.eventId;
    if (d.type === 'skip') logger.warn({ eventId, reason: d.reason }, 'event-log consumer: event skipped');
    else if (d.type === 'reject') logger.error({ eventId, reason: d.reason }, 'event-log consumer: unreadable event rejected');
    else if (d.blobKeyProblem !== undefined) {
      logger.warn({ eventId, modelRecordId: d.event.modelRecordId, reason: d.blobKeyProblem }, 'event-log consumer: ignoring the blob_path of a deleted event');
    }
  }

  /** One `getReplicables` per type for the ids of `created` and `checksum_succeeded` events. */
  private async lookUp(events: readonly ApplicableEvent[], signal: AbortSignal | undefined): Promise<Map<string, Map<number, ReplicableRecord>>> {
    const idsByType = new Map<string, number[]>();
    for (const e of events) {
      if (e.kind === 'deleted') continue;
      const ids = idsByType.get(e.replicable.name) ?? [];
      if (!ids.includes(e.modelRecordId)) ids.push(e.modelRecordId);
      idsByType.set(e.replicable.name, ids);
    }
    const found = new Map<string, Map<number, ReplicableRecord>>();
    for (const [name, ids] of idsByType) {
      let records: ReplicableRecord[];
      try {
        records = await this.options.catalogue.getReplicables(name, ids, signal);
      } catch (error) {
        throw catalogueFailure(error);
      }
      // Only what was asked for counts: a catalogue answering more must not widen the writes.
      found.set(name, new Map(records.filter((r) => ids.includes(r.modelRecordId)).map((r) => [r.modelRecordId, r])));
    }
    return found;
  }

  private async applyRun(
    writes: EventWrites,
    run: Run,
    catalogue: ReadonlyMap<number, ReplicableRecord>,
    acc: Applied,
    traces: ReadonlyMap<ApplicableEvent, TraceCarrier>,
  ): Promise<void> {
    const ids = uniqueIds(run.events);
    switch (run.kind) {
      case 'created': {
        const inScope = ids.flatMap((id) => {
          const record = catalogue.get(id);
          return record === undefined ? [] : [record];
        });
        acc.outOfScope += ids.length - inScope.length;
        if (inScope.length === 0) return;
        // The first event of an id wins (a replayed duplicate in one batch carries a later trace).
        const traceContexts = new Map<number, TraceCarrier>();
        for (const event of run.events) {
          const carrier = traces.get(event);
          if (carrier !== undefined && !traceContexts.has(event.modelRecordId)) traceContexts.set(event.modelRecordId, carrier);
        }
        acc.registriesInserted += (await writes.track(run.replicable, inScope, traceContexts.size === 0 ? undefined : traceContexts)).length;
        return;
      }
      case 'deleted': {
        const deleted = await writes.untrack(run.replicable, ids);
        acc.recordsDeleted += deleted.length;
        const storedKey = new Map(deleted.map((r) => [r.modelRecordId, r.blobKey]));
        for (const event of run.events) {
          const key = storedKey.get(event.modelRecordId) ?? (event.kind === 'deleted' ? event.blobKey : undefined);
          if (key !== undefined) acc.blobKeys.add(key);
        }
        return;
      }
      case 'checksum_succeeded': {
        const marked = await writes.markVerificationPending(run.replicable, ids);
        acc.verificationPending += marked.length;
        const refreshed = marked.flatMap((id) => {
          const record = catalogue.get(id);
          return record !== undefined && record.primaryChecksum !== null ? [record] : [];
        });
        if (refreshed.length > 0) await writes.refreshPrimaryChecksums(run.replicable, refreshed);
        return;
      }
    }
  }

  private nudge(): void {
    try {
      this.options.nudge();
    } catch (error) {
      // Best effort: the scheduler polls anyway, and the rows are committed.
      this.options.logger.warn(errorFields(error), 'event-log consumer: nudging the sync scheduler failed');
    }
  }

  /**
   * Deletes the blobs of committed `deleted` events. A key the store refuses (hostile) is logged and
   * dropped; a store outage is thrown as retryable once every key was tried, so the batch is replayed.
   */
  private async deleteBlobs(keys: readonly string[]): Promise<string[]> {
    const deleted: string[] = [];
    const failed: string[] = [];
    let lastFailure: unknown;
    for (const key of keys) {
      try {
        await this.options.blobs.delete(key);
        deleted.push(key);
      } catch (error) {
        if (isGeoError(error) && !error.retryable) {
          this.options.logger.error({ ...errorFields(error), key }, 'event-log consumer: blob not deleted (refused by the store)');
          continue;
        }
        failed.push(key);
        lastFailure = error;
        this.options.logger.warn({ ...errorFields(error), key }, 'event-log consumer: blob delete failed');
      }
    }
    if (failed.length > 0) {
      throw new UnavailableError(`event-log consumer: ${failed.length} blob delete(s) failed after the commit`, {
        cause: lastFailure,
        details: { committed: true, keys: failed },
      });
    }
    return deleted;
  }
}

/** Catalogue failures: retryable and systemic ones become a retryable `UnavailableError`; the rest pass. */
function catalogueFailure(error: unknown): unknown {
  if (!isGeoError(error)) return error;
  if (error.retryable) return error;
  if (SYSTEMIC_CATALOGUE_CODES.has(error.code)) {
    return new UnavailableError(`primary catalogue refused the lookup: ${error.message}`, { cause: error, details: { code: error.code } });
  }
  return error;
}
