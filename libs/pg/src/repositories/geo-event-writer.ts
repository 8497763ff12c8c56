import type { SqlExecutor } from '../transaction';
import type { EventOutboxRepository, GeoEventRecord, NewGeoEvent } from './event-outbox-repository';

/** Is the replication flag (`geo_<name>_replication`) on for this replicable type? */
export type ReplicationFlag = (replicableName: string) => boolean;

/**
 * Writes Geo events the way GitLab decides to (spec §4.4): only for types whose replication flag is
 * on, and only while at least one enabled secondary site exists (otherwise nobody would consume
 * them and the log would grow for nothing). Always call inside the transaction of the model change,
 * so the event exists if and only if the change committed.
 */
export class GeoEventWriter {
  constructor(
    private readonly outbox: EventOutboxRepository,
    private readonly replicationEnabled: ReplicationFlag,
  ) {}

  /** Appends the events that pass the rules, in order; returns what was written (maybe nothing). */
  async write(tx: SqlExecutor, events: readonly NewGeoEvent[]): Promise<GeoEventRecord[]> {
    const wanted = events.filter((e) => this.replicationEnabled(e.replicableName));
    if (wanted.length === 0) return [];
    return this.outbox.insert(tx, wanted, { onlyWithEnabledSecondary: true });
  }
}
