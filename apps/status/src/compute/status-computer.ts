import {
  errorFields,
  errorMessage,
  evaluateHealth,
  eventLagSeconds,
  observeSyncProgress,
  primaryReplicableStatus,
  secondaryReplicableStatus,
  syncActivity,
  type HealthSignals,
  type HealthThresholds,
  type LoggerPort,
  type NodeStatus,
  type Reachability,
  type ReplicableDefinition,
  type ReplicableStatus,
  type SiteIdentity,
  type SyncProgress,
} from '@geo/domain';
import type { EventStreamView, PrimarySources, SecondarySources, StatusSources } from './ports';

export interface StatusComputerOptions {
  readonly sources: StatusSources;
  /** Every catalogue type (`REPLICABLES`): each appears in the status, counted or null. */
  readonly replicables: readonly ReplicableDefinition[];
  /** GitLab's `geo_<name>_replication` flag: a type that is off reports null counters. */
  readonly replicationEnabled: (name: string) => boolean;
  /** `GEO_SITE_NAME`, reported until the site's registered name is known. */
  readonly siteName: string;
  readonly version: string;
  readonly revision: string;
  readonly thresholds: HealthThresholds;
  readonly logger: LoggerPort;
  readonly clock?: () => Date;
}

/** A read that may fail: its value, or the error (already logged). */
type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Computes this site's GeoNodeStatus (spec §8.1, §8.2) with the health of ADR 0007. Reads run
 * concurrently and independently: one failing read (a count, the primary's stream) leaves its fields
 * null and is logged, the rest of the status is still computed (GitLab MR !177100: one failing metric
 * must not block the whole status).
 *
 * State kept between computations: the last identity (so a primary that is briefly unreachable does
 * not blank it), the sync progress (`sync_stalled`), and when every counter was last read
 * (`last_successful_status_check_timestamp`). A new process starts watching at construction: peers
 * get one full limit to report before they are called silent.
 */
export class StatusComputer {
  private readonly clock: () => Date;
  private readonly watchingSince: Date;
  private identity: SiteIdentity | undefined;
  private syncProgress: SyncProgress | undefined;
  /** Since when the primary's stream is known to exist (the event consumer is expected to read it). */
  private streamSeenSince: Date | undefined;
  private lastSuccessfulCheckAt: Date | null = null;

  constructor(private readonly options: StatusComputerOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.watchingSince = this.clock();
  }

  async compute(): Promise<NodeStatus> {
    const now = this.clock();
    const { sources } = this.options;
    const [database, nats, identity] = await Promise.all([
      this.attempt('ping the database', () => sources.database.ping()),
      sources.nats.probe(),
      this.attempt('read the site identity', () => sources.identity.identity()),
    ]);
    if (identity.ok && identity.value !== undefined) this.identity = identity.value;
    const databaseReachability: Reachability = database.ok ? { reachable: true } : { reachable: false, reason: errorMessage(database.error) };
    const base = { now, database: databaseReachability, nats };
    const part = sources.role === 'primary' ? await this.primaryPart(sources) : await this.secondaryPart(sources, now);
    if (part.allCounted) this.lastSuccessfulCheckAt = now;
    const known = this.identity;
    return {
      geoNodeId: known?.geoNodeId ?? null,
      name: known?.name ?? this.options.siteName,
      lastEvent: part.lastEvent,
      cursorLastEvent: part.cursorLastEvent,
      eventLagSeconds: part.eventLagSeconds,
      version: this.options.version,
      revision: this.options.revision,
      selectiveSyncType: known?.selectiveSyncType ?? '',
      namespaceIds: known?.namespaceIds ?? [],
      updatedAt: now,
      lastSuccessfulStatusCheckAt: this.lastSuccessfulCheckAt,
      health: evaluateHealth({ ...base, ...part.signals }, this.options.thresholds),
      replicables: part.replicables,
      statusFailedTotal: part.statusFailedTotal,
    };
  }

  private enabledTypes(): ReplicableDefinition[] {
    return this.options.replicables.filter((def) => this.options.replicationEnabled(def.name));
  }

  /** Counts every enabled type; a type that is off, or whose count failed, reports null counters. */
  private async countAll<C>(
    count: (def: ReplicableDefinition) => Promise<C>,
    toStatus: (counts: C | null) => ReplicableStatus,
  ): Promise<{ replicables: Record<string, ReplicableStatus>; counted: Map<string, C>; allCounted: boolean }> {
    const enabled = this.enabledTypes();
    const outcomes = await Promise.all(enabled.map((def) => this.attempt(`count ${def.name}`, () => count(def))));
    const counted = new Map<string, C>();
    enabled.forEach((def, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok === true) counted.set(def.name, outcome.value);
    });
    const replicables = Object.fromEntries(this.options.replicables.map((def) => [def.name, toStatus(counted.get(def.name) ?? null)]));
    return { replicables, counted, allCounted: counted.size === enabled.length };
  }

  private async primaryPart(sources: PrimarySources) {
    const [counts, lastEvent] = await Promise.all([
      this.countAll((def) => sources.counts.primaryCounts(def), primaryReplicableStatus),
      this.attempt('read the last event', () => sources.events.lastEvent()),
    ]);
    return {
      replicables: counts.replicables,
      allCounted: counts.allCounted,
      lastEvent: lastEvent.ok ? (lastEvent.value ?? null) : null,
      cursorLastEvent: null,
      eventLagSeconds: null,
      statusFailedTotal: null,
      signals: {} satisfies Partial<HealthSignals>,
    };
  }

  private async secondaryPart(sources: SecondarySources, now: Date) {
    const enabled = this.enabledTypes();
    const [counts, backlog, cursor, stream, heartbeat] = await Promise.all([
      this.countAll((def) => sources.counts.registryCounts(def), secondaryReplicableStatus),
      this.attempt('read the sync backlog', async () => (await Promise.all(enabled.map((def) => sources.backlog.hasWork(def)))).some(Boolean)),
      this.attempt('read the log cursor', () => sources.cursor.cursor()),
      this.attempt<EventStreamView>("read the primary's event stream", () => sources.eventStream.read()),
      this.attempt('read the event-log heartbeat', () => sources.heartbeat.secondsSinceLastRead()),
    ]);

    // Progress needs both readings of this round; otherwise the last judgement stands.
    if (counts.allCounted && backlog.ok) {
      const syncedCount = [...counts.counted.values()].reduce((sum, c) => sum + c.syncedCount, 0);
      this.syncProgress = observeSyncProgress(this.syncProgress, { at: now, syncedCount, hasWork: backlog.value });
    }
    const lag = stream.ok && stream.value.unapplied !== null ? eventLagSeconds(stream.value.unapplied, now) : null;
    // The consumer is expected to read once the stream exists (the relay creates it with the first
    // event). An unreadable stream counts as present: the consumer cannot read it either.
    if (stream.ok) this.streamSeenSince = stream.value.streamExists ? (this.streamSeenSince ?? now) : undefined;
    const consumerExpected = !(stream.ok && !stream.value.streamExists);
    const signals: Partial<HealthSignals> = {
      primary: sources.push.liveness(),
      eventLagSeconds: lag,
      // Unknown when the heartbeat could not be read: the database issue already says why.
      ...(heartbeat.ok && consumerExpected
        ? {
            eventConsumer: {
              lastSeenAt: heartbeat.value === undefined ? null : new Date(now.getTime() - heartbeat.value * 1000),
              watchingSince: this.streamSeenSince ?? this.watchingSince,
            },
          }
        : {}),
      ...(this.syncProgress === undefined ? {} : { sync: syncActivity(this.syncProgress) }),
    };
    return {
      replicables: counts.replicables,
      allCounted: counts.allCounted,
      lastEvent: stream.ok ? stream.value.lastEvent : null,
      cursorLastEvent: cursor.ok ? (cursor.value ?? null) : null,
      eventLagSeconds: lag,
      statusFailedTotal: sources.push.failedTotal(),
      signals,
    };
  }

  /** Runs one read; a failure is logged (warn: it is reported in the status) and returned. */
  private async attempt<T>(what: string, read: () => Promise<T>): Promise<Outcome<T>> {
    try {
      return { ok: true, value: await read() };
    } catch (error) {
      this.options.logger.warn({ ...errorFields(error), read: what }, `status: cannot ${what}`);
      return { ok: false, error };
    }
  }
}
