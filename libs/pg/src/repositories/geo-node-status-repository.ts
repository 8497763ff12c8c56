import {
  isHealthIssueCode,
  siteHealth,
  statusFieldsFor,
  STATUS_COUNT_SUFFIXES,
  withPercentages,
  type HealthIssue,
  type NodeStatus,
  type ReplicableDefinition,
  type ReplicableStatus,
  type StatusCountKey,
} from '@geo/domain';
import { assertPositiveIds } from './assert-ids';
import { mappingPgErrors } from '../errors';
import type { SqlExecutor } from '../transaction';
import { toId } from './registry-row-mapping';

/** The counter keys stored in the `status` jsonb, in `STATUS_COUNT_SUFFIXES` order. */
const COUNT_KEYS = Object.keys(STATUS_COUNT_SUFFIXES) as StatusCountKey[];

interface StatusDbRow {
  geo_node_id: string;
  name: string;
  selective_sync_type: string | null;
  namespace_ids: string[];
  status: Record<string, unknown>;
  event_lag_seconds: number | null;
  last_event_id: string | null;
  last_event_date: Date | null;
  cursor_last_event_id: string | null;
  cursor_last_event_date: Date | null;
  last_successful_status_check_at: Date | null;
  health_issues: unknown;
  version: string | null;
  revision: string | null;
  updated_at: Date;
}

/** A counter from the jsonb: a non-negative safe integer, else null (absent, null, or not a count). */
function countOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** The stored issues whose code this version knows (a newer site may report more; see ADR 0007). */
function issuesOf(value: unknown): HealthIssue[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    const { code, message } = (item ?? {}) as { code?: unknown; message?: unknown };
    return typeof code === 'string' && isHealthIssueCode(code) && typeof message === 'string' ? [{ code, message }] : [];
  });
}

const SELECT = `SELECT s.geo_node_id, g.name, g.selective_sync_type,
    ARRAY(SELECT l.namespace_id FROM geo_node_namespace_links l WHERE l.geo_node_id = g.id ORDER BY l.namespace_id) AS namespace_ids,
    s.status, s.event_lag_seconds, s.last_event_id, s.last_event_date, s.cursor_last_event_id, s.cursor_last_event_date,
    s.last_successful_status_check_at, s.health_issues, s.version, s.revision, s.updated_at
  FROM geo_node_statuses s JOIN geo_sites g ON g.id = s.geo_node_id`;

/**
 * The primary's `geo_node_statuses` (spec §8.4, ADR 0007): the latest status of each site, one row per
 * site. As in GitLab, the per-replicable counters live in the `status` jsonb under their GitLab field
 * names (`packages_nuget_symbols_synced_count`, …), the scalars in columns; percentages are not
 * stored but recomputed from the counters when read.
 *
 * Invariants:
 * - identity (`name`, `selective_sync_type`, namespaces) is read from the site's `geo_sites` row,
 *   never from what a site reported about itself;
 * - `updated_at` is when the primary stored the row (its own clock), which is what the staleness
 *   rule judges: a site whose pushes stopped arriving goes stale whatever its clock says.
 */
export class PgGeoNodeStatusRepository {
  constructor(
    private readonly db: SqlExecutor,
    /** The catalogue (`REPLICABLES`): which types' counters are written and read. */
    private readonly replicables: readonly ReplicableDefinition[],
  ) {}

  /** Inserts or replaces the status of site `geoNodeId` (which must exist in `geo_sites`). */
  async save(geoNodeId: number, status: NodeStatus): Promise<void> {
    assertPositiveIds([geoNodeId], 'geo node ids');
    const counters: Record<string, number | null> = {};
    for (const def of this.replicables) {
      const names = statusFieldsFor(def);
      const counts = status.replicables[def.name];
      for (const key of COUNT_KEYS) counters[names[key]] = counts?.[key] ?? null;
    }
    const { health } = status;
    await mappingPgErrors('upsert geo_node_statuses', async () => {
      await this.db.query(
        `INSERT INTO geo_node_statuses (geo_node_id, status, event_lag_seconds, last_event_id, last_event_date, cursor_last_event_id,
           cursor_last_event_date, last_successful_status_check_at, status_message, health_issues, version, revision, created_at, updated_at)
         VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, now(), now())
         ON CONFLICT (geo_node_id) DO UPDATE SET
           status = EXCLUDED.status, event_lag_seconds = EXCLUDED.event_lag_seconds, last_event_id = EXCLUDED.last_event_id,
           last_event_date = EXCLUDED.last_event_date, cursor_last_event_id = EXCLUDED.cursor_last_event_id,
           cursor_last_event_date = EXCLUDED.cursor_last_event_date, last_successful_status_check_at = EXCLUDED.last_successful_status_check_at,
           status_message = EXCLUDED.status_message, health_issues = EXCLUDED.health_issues, version = EXCLUDED.version,
           revision = EXCLUDED.revision, updated_at = now()`,
        [
          geoNodeId,
          JSON.stringify(counters),
          status.eventLagSeconds,
          status.lastEvent?.eventId ?? null,
          status.lastEvent?.createdAt ?? null,
          status.cursorLastEvent?.eventId ?? null,
          status.cursorLastEvent?.createdAt ?? null,
          status.lastSuccessfulStatusCheckAt,
          health.healthy ? null : health.health,
          JSON.stringify(health.issues),
          status.version,
          status.revision,
        ],
      );
    });
  }

  /** Every stored status, by site id. */
  async list(): Promise<NodeStatus[]> {
    return mappingPgErrors('select geo_node_statuses', async () => {
      const result = await this.db.query<StatusDbRow>(`${SELECT} ORDER BY s.geo_node_id`);
      return result.rows.map((row) => this.fromDb(row));
    });
  }

  /** The stored status of one site, or undefined when it never reported. */
  async find(geoNodeId: number): Promise<NodeStatus | undefined> {
    return mappingPgErrors('select geo_node_statuses', async () => {
      const result = await this.db.query<StatusDbRow>(`${SELECT} WHERE s.geo_node_id = $1`, [geoNodeId]);
      const row = result.rows[0];
      return row === undefined ? undefined : this.fromDb(row);
    });
  }

  private fromDb(row: StatusDbRow): NodeStatus {
    const replicables: Record<string, ReplicableStatus> = {};
    for (const def of this.replicables) {
      const names = statusFieldsFor(def);
      const counters = Object.fromEntries(COUNT_KEYS.map((key) => [key, countOf(row.status[names[key]])])) as Record<StatusCountKey, number | null>;
      replicables[def.name] = withPercentages(counters);
    }
    const position = (id: string | null, at: Date | null) => (id === null || at === null ? null : { eventId: toId(id), createdAt: at });
    const selectiveSyncType = row.selective_sync_type ?? '';
    return {
      geoNodeId: toId(row.geo_node_id),
      name: row.name,
      lastEvent: position(row.last_event_id, row.last_event_date),
      cursorLastEvent: position(row.cursor_last_event_id, row.cursor_last_event_date),
      eventLagSeconds: row.event_lag_seconds,
      version: row.version ?? '',
      revision: row.revision ?? '',
      selectiveSyncType,
      namespaceIds: selectiveSyncType === 'namespaces' ? row.namespace_ids.map(toId) : [],
      updatedAt: row.updated_at,
      lastSuccessfulStatusCheckAt: row.last_successful_status_check_at,
      health: siteHealth(issuesOf(row.health_issues)),
      replicables,
      statusFailedTotal: null,
    };
  }
}
