import type {
  EventLogPosition,
  Liveness,
  PrimaryCounts,
  Reachability,
  ReplicableDefinition,
  SecondaryCounts,
  SiteIdentity,
  UnappliedEvents,
} from '@geo/domain';

/**
 * What the status computation reads, per source. Adapters: pg repositories (apps/status/src/pg and
 * @geo/pg), the NATS probes and stream view (apps/status/src/nats), the primary clients
 * (apps/status/src/grpc). A rejected read is never fatal: it becomes a null field or a health issue,
 * and is logged.
 */

/** The site's PostgreSQL: a round trip proves it answers. */
export interface DatabaseProbe {
  ping(): Promise<void>;
}

/** The site's NATS JetStream: reachable, or why not. Never rejects. */
export interface NatsProbe {
  probe(): Promise<Reachability>;
}

/** Who this site is on the primary; undefined while it is not registered there. */
export interface SiteIdentitySource {
  identity(): Promise<SiteIdentity | undefined>;
}

export interface PrimaryCountsSource {
  primaryCounts(def: ReplicableDefinition): Promise<PrimaryCounts>;
}

export interface RegistryCountsSource {
  registryCounts(def: ReplicableDefinition): Promise<SecondaryCounts>;
}

/** Whether a type's scheduler has rows to claim or being synced (`PgRegistryBacklogRepository`). */
export interface SyncBacklogSource {
  hasWork(def: ReplicableDefinition): Promise<boolean>;
}

/** The primary's newest event (its outbox). */
export interface LastEventSource {
  lastEvent(): Promise<EventLogPosition | undefined>;
}

/** A secondary's log cursor (`geo_event_log_states`). */
export interface CursorSource {
  cursor(): Promise<EventLogPosition | undefined>;
}

/** The primary's event stream as this secondary's durable consumer sees it. */
export interface EventStreamView {
  /**
   * False until the primary relays its first event (the relay creates the stream): there is nothing
   * to consume yet, so the event consumer cannot be reading, and is not expected to.
   */
  readonly streamExists: boolean;
  /** The stream's newest event (null when empty). */
  readonly lastEvent: EventLogPosition | null;
  /** Null when the durable consumer does not exist yet (the event-log never ran). */
  readonly unapplied: UnappliedEvents | null;
}

export interface EventStreamSource {
  read(): Promise<EventStreamView>;
}

/** The event-log consumer's heartbeat: how long ago it last read the primary's stream (database clock). */
export interface HeartbeatSource {
  secondsSinceLastRead(): Promise<number | undefined>;
}

/** The outcome of the secondary's status pushes (`StatusPusher`). */
export interface PushRecord {
  liveness(): Liveness;
  failedTotal(): number;
}

interface CommonSources {
  readonly database: DatabaseProbe;
  readonly nats: NatsProbe;
  readonly identity: SiteIdentitySource;
}

export interface PrimarySources extends CommonSources {
  readonly role: 'primary';
  readonly counts: PrimaryCountsSource;
  readonly events: LastEventSource;
}

export interface SecondarySources extends CommonSources {
  readonly role: 'secondary';
  readonly counts: RegistryCountsSource;
  readonly backlog: SyncBacklogSource;
  readonly cursor: CursorSource;
  readonly eventStream: EventStreamSource;
  readonly heartbeat: HeartbeatSource;
  readonly push: PushRecord;
}

export type StatusSources = PrimarySources | SecondarySources;
