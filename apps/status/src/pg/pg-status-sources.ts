import type { EventLogPosition, ReplicableDefinition, SiteIdentity } from '@geo/domain';
import {
  EventOutboxRepository,
  PgEventCursorRepository,
  PgEventLogHeartbeatRepository,
  PgGeoSiteIdentityRepository,
  PgRegistryBacklogRepository,
  type SqlExecutor,
} from '@geo/pg';
import type { CursorSource, DatabaseProbe, HeartbeatSource, LastEventSource, SiteIdentitySource, SyncBacklogSource } from '../compute/ports';

/**
 * The status computation's database-backed sources: thin adapters from the @geo/pg repositories to
 * the ports in compute/ports.ts.
 */

export function databaseProbe(db: SqlExecutor): DatabaseProbe {
  return {
    async ping() {
      await db.query('SELECT 1');
    },
  };
}

/** Primary: the newest `geo_events` row, relayed or not (GitLab's newest `geo_event_log` row). */
export function outboxLastEvent(db: SqlExecutor): LastEventSource {
  const outbox = new EventOutboxRepository(db);
  return {
    async lastEvent() {
      const last = await outbox.lastEvent();
      return last === undefined ? undefined : { eventId: last.id, createdAt: last.createdAt };
    },
  };
}

/** Primary: its own `geo_sites` row, found by `GEO_SITE_NAME`. */
export function siteIdentityByName(db: SqlExecutor, siteName: string): SiteIdentitySource {
  const sites = new PgGeoSiteIdentityRepository(db);
  return { identity: (): Promise<SiteIdentity | undefined> => sites.findByName(siteName) };
}

/** Secondary: the log cursor (`geo_event_log_states`). */
export function logCursor(db: SqlExecutor): CursorSource {
  const cursors = new PgEventCursorRepository(db);
  return {
    async cursor(): Promise<EventLogPosition | undefined> {
      const cursor = await cursors.read();
      if (cursor === undefined) return undefined;
      // A row written before `event_created_at` existed has no event time: its last move stands in.
      return { eventId: cursor.eventId, createdAt: cursor.eventCreatedAt ?? cursor.updatedAt };
    },
  };
}

/** Secondary: the event-log consumer's heartbeat, aged by the database clock. */
export function eventLogHeartbeat(db: SqlExecutor): HeartbeatSource {
  const heartbeats = new PgEventLogHeartbeatRepository(db);
  return {
    async secondsSinceLastRead() {
      return (await heartbeats.latest())?.secondsAgo;
    },
  };
}

/** Secondary: whether each type's scheduler has work, one repository per type. */
export function syncBacklog(db: SqlExecutor, replicables: readonly ReplicableDefinition[]): SyncBacklogSource {
  const byName = new Map(replicables.map((def) => [def.name, new PgRegistryBacklogRepository(db, def)]));
  return {
    async hasWork(def) {
      const repository = byName.get(def.name) ?? new PgRegistryBacklogRepository(db, def);
      return repository.hasWork();
    },
  };
}
