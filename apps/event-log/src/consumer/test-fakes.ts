// Test support only: in-memory fakes of the consumer's ports, recording every call.
import { ErrorCodes, UnavailableError, ValidationError, type ReplicableDefinition, type ReplicableRecord, type VerificationState } from '@geo/domain';
import type { EventCursor, EventCursorPosition } from '@geo/pg';
import { toOutgoingGeoEvent } from '../relay/geo-event-message';
import type { BlobRemover, EventStore, EventWrites, ReplicableCatalogue } from './ports';

export interface FakeRegistry {
  verificationState: VerificationState;
  /** The `traceparent` kept for the row's sync job (ADR 0009), when one was given. */
  traceparent?: string;
}

interface FakeState {
  /** `<replicable>:<id>` → registry. */
  registries: Record<string, FakeRegistry>;
  records: Record<string, ReplicableRecord>;
  cursor: EventCursorPosition | undefined;
}

const keyOf = (replicable: string, id: number) => `${replicable}:${id}`;

/** An `EventStore` over plain objects with real transaction semantics (a throw rolls everything back). */
export class FakeEventStore implements EventStore {
  state: FakeState = { registries: {}, records: {}, cursor: undefined };
  readonly calls: string[] = [];
  transactions = 0;
  /** Throws this from the named write (after recording the call), e.g. to test rollbacks. */
  failOn: { readonly call: keyof EventWrites; readonly error: Error } | undefined;

  async transaction<T>(work: (writes: EventWrites) => Promise<T>): Promise<T> {
    this.transactions += 1;
    const draft = structuredClone(this.state);
    const result = await work(this.writes(draft));
    this.state = draft;
    return result;
  }

  async readCursor(): Promise<EventCursor | undefined> {
    const c = this.state.cursor;
    return c === undefined ? undefined : { ...c, createdAt: c.eventCreatedAt, updatedAt: c.eventCreatedAt };
  }

  registry(replicable: string, id: number): FakeRegistry | undefined {
    return this.state.registries[keyOf(replicable, id)];
  }

  record(replicable: string, id: number): ReplicableRecord | undefined {
    return this.state.records[keyOf(replicable, id)];
  }

  seedRegistry(replicable: string, id: number, verificationState: VerificationState = 'verification_disabled'): void {
    this.state.registries[keyOf(replicable, id)] = { verificationState };
  }

  seedRecord(record: ReplicableRecord): void {
    this.state.records[keyOf(record.replicableName, record.modelRecordId)] = record;
  }

  private check(call: keyof EventWrites): void {
    if (this.failOn?.call === call) throw this.failOn.error;
  }

  private writes(draft: FakeState): EventWrites {
    return {
      track: async (replicable: ReplicableDefinition, records: readonly ReplicableRecord[], traceContexts?: ReadonlyMap<number, Readonly<Record<string, string>>>) => {
        this.calls.push(`track ${replicable.name} ${records.map((r) => r.modelRecordId).join(',')}`);
        this.check('track');
        const inserted: number[] = [];
        for (const r of records) {
          const key = keyOf(replicable.name, r.modelRecordId);
          if (draft.registries[key] === undefined) {
            const traceparent = traceContexts?.get(r.modelRecordId)?.['traceparent'];
            draft.registries[key] = { verificationState: 'verification_pending', ...(traceparent === undefined ? {} : { traceparent }) };
            inserted.push(r.modelRecordId);
          }
          draft.records[key] = r;
        }
        return inserted;
      },
      untrack: async (replicable: ReplicableDefinition, ids: readonly number[]) => {
        this.calls.push(`untrack ${replicable.name} ${ids.join(',')}`);
        this.check('untrack');
        const deleted: ReplicableRecord[] = [];
        for (const id of ids) {
          const key = keyOf(replicable.name, id);
          const record = draft.records[key];
          if (record !== undefined) deleted.push(record);
          delete draft.records[key];
          delete draft.registries[key];
        }
        return deleted;
      },
      markVerificationPending: async (replicable: ReplicableDefinition, ids: readonly number[]) => {
        this.calls.push(`verificationPending ${replicable.name} ${ids.join(',')}`);
        this.check('markVerificationPending');
        return ids.filter((id) => {
          const registry = draft.registries[keyOf(replicable.name, id)];
          if (registry !== undefined) registry.verificationState = 'verification_pending';
          return registry !== undefined;
        });
      },
      refreshPrimaryChecksums: async (replicable: ReplicableDefinition, records: readonly ReplicableRecord[]) => {
        this.calls.push(`refreshChecksums ${replicable.name} ${records.map((r) => `${r.modelRecordId}=${r.primaryChecksum}`).join(',')}`);
        this.check('refreshPrimaryChecksums');
        let updated = 0;
        for (const r of records) {
          const key = keyOf(replicable.name, r.modelRecordId);
          const stored = draft.records[key];
          if (stored === undefined) continue;
          draft.records[key] = { ...stored, primaryChecksum: r.primaryChecksum, primaryVerificationState: 'verification_succeeded' };
          updated += 1;
        }
        return updated;
      },
      advanceCursor: async (position: EventCursorPosition) => {
        this.calls.push(`cursor ${position.eventId}`);
        this.check('advanceCursor');
        if (draft.cursor === undefined || position.eventId > draft.cursor.eventId) draft.cursor = position;
      },
    };
  }
}

/** A catalogue holding the records in this site's scope; records every lookup. */
export class FakeCatalogue implements ReplicableCatalogue {
  readonly lookups: { readonly name: string; readonly ids: readonly number[] }[] = [];
  readonly inScope = new Map<number, ReplicableRecord>();
  failWith: Error | undefined;

  add(...records: ReplicableRecord[]): this {
    for (const r of records) this.inScope.set(r.modelRecordId, r);
    return this;
  }

  async getReplicables(name: string, ids: readonly number[]): Promise<ReplicableRecord[]> {
    this.lookups.push({ name, ids: [...ids] });
    if (this.failWith !== undefined) throw this.failWith;
    return ids.flatMap((id) => {
      const r = this.inScope.get(id);
      return r === undefined || r.replicableName !== name ? [] : [r];
    });
  }
}

/** A blob store of keys; `delete` validates like the real stores and can be made unavailable. */
export class FakeBlobs implements BlobRemover {
  readonly keys = new Set<string>();
  readonly deletes: string[] = [];
  unavailable = false;

  async delete(key: string): Promise<void> {
    this.deletes.push(key);
    if (key.startsWith('/') || key.split('/').includes('..')) throw new ValidationError(`invalid blob key: ${key}`, {}, ErrorCodes.INVALID_BLOB_KEY);
    if (this.unavailable) throw new UnavailableError('blob store down');
    this.keys.delete(key);
  }
}

/** A catalogue record of `packages_nuget_symbol` with sensible defaults. */
export function record(id: number, overrides: Partial<ReplicableRecord> = {}): ReplicableRecord {
  return {
    replicableName: 'packages_nuget_symbol',
    modelRecordId: id,
    blobKey: `symbols/${id}/file.pdb`,
    size: 100 + id,
    fileStore: 'local',
    projectId: 1,
    primaryVerificationState: 'verification_pending',
    primaryChecksum: null,
    primaryVerifiedAt: null,
    attributes: { file: 'file.pdb', signature: `sig${id}` },
    createdAt: new Date('2026-11-25T09:00:00.000Z'),
    ...overrides,
  };
}

/** The JSON body the primary's relay publishes for an event (the real wire format). */
export function wireEvent(
  id: number,
  eventName: string,
  payload: Readonly<Record<string, unknown>>,
  replicableName = 'packages_nuget_symbol',
): string {
  return toOutgoingGeoEvent({ id, replicableName, eventName, payload, createdAt: new Date(Date.UTC(2026, 10, 25, 10, 0, id % 60)) }).data;
}
