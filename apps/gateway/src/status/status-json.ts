import { formatPercentage, statusFieldsFor, STATUS_COUNT_SUFFIXES, type ReplicableDefinition } from '@geo/domain';
import type { GeoNodeStatus, ReplicableStatus } from '@geo/proto';

/**
 * GitLab's `GeoSiteStatus` entity (ee/lib/api/entities/geo_site_status.rb, spec §8.4) from a status
 * app's `GeoNodeStatus`. Pure: the routes fetch, this renders.
 *
 * Where our system differs from GitLab (ADR 0007), the GitLab field keeps GitLab's value for "does
 * not apply" and our own data goes under an extra, clearly named field:
 * - `db_replication_lag_seconds` is null (no database streaming); `event_lag_seconds` is the event
 *   stream's lag that replaces it, and `health_issues` lists the causes behind `health`;
 * - repository, project, replication-slot and usage-data fields are GitLab's null (0.00% for their
 *   percentages, as `number_to_percentage(calc_percentage(nil, nil))` renders).
 */

/** Where the answer is rendered: links are absolute, as GitLab's `expose_url` builds them. */
export interface StatusJsonContext {
  /** `<scheme>://<host>` of the request. */
  readonly origin: string;
  /** `/api/v4/geo_sites` or the deprecated `/api/v4/geo_nodes` (whose entity links `node`, not `site`). */
  readonly apiPath: '/api/v4/geo_sites' | '/api/v4/geo_nodes';
  /** Every replicable type: GitLab renders the fields of all replicators, enabled or not. */
  readonly replicables: readonly Pick<ReplicableDefinition, 'name' | 'pluralName'>[];
}

export type StatusJsonValue = string | number | boolean | null | readonly { readonly id: number }[] | StatusJsonLinks | readonly HealthIssueJson[];

export interface StatusJsonLinks {
  readonly self: string;
  /** `site` under `geo_sites`, `node` under the legacy `geo_nodes` entity. */
  readonly [siteOrNode: string]: string;
}

export interface HealthIssueJson {
  readonly code: string;
  readonly message: string;
}

export type GeoSiteStatusJson = Readonly<Record<string, StatusJsonValue>>;

/**
 * GitLab fields with no counterpart here, and the value GitLab renders for them then. Usage-data
 * counters are GitLab's `*_event_count_weekly` RESOURCE_STATUS_FIELDS (null without usage ping).
 */
const NOT_APPLICABLE_FIELDS: Readonly<Record<string, null | boolean | string>> = {
  projects_count: null,
  repositories_count: null,
  replication_slots_count: null,
  replication_slots_used_count: null,
  replication_slots_used_in_percentage: formatPercentage(0),
  replication_slots_max_retained_wal_bytes: null,
  repositories_checked_count: null,
  repositories_checked_failed_count: null,
  repositories_checked_in_percentage: formatPercentage(0),
  missing_oauth_application: false,
  db_replication_lag_seconds: null,
  git_fetch_event_count_weekly: null,
  git_push_event_count_weekly: null,
  proxy_remote_requests_event_count_weekly: null,
  proxy_local_requests_event_count_weekly: null,
};

type CountKey = keyof typeof STATUS_COUNT_SUFFIXES;

/** Unix seconds, as GitLab stores and renders the event and status-check timestamps. */
function unixSeconds(at: Date | undefined): number | null {
  return at === undefined ? null : Math.floor(at.getTime() / 1000);
}

function replicableFields(def: Pick<ReplicableDefinition, 'pluralName'>, status: ReplicableStatus | undefined): Record<string, number | string | null> {
  const names = statusFieldsFor(def);
  const fields: Record<string, number | string | null> = {};
  for (const key of Object.keys(STATUS_COUNT_SUFFIXES) as CountKey[]) fields[names[key]] = status?.[key] ?? null;
  fields[names.syncedInPercentage] = formatPercentage(status?.syncedInPercentage ?? 0);
  fields[names.verifiedInPercentage] = formatPercentage(status?.verifiedInPercentage ?? 0);
  return fields;
}

/**
 * The role of the site a status describes, as seen by the gateway of `gateway.siteName`: only
 * secondaries push their status, so on the primary every status not named like it is a secondary's,
 * and a secondary only knows its own.
 */
export function roleOfStatus(status: Pick<GeoNodeStatus, 'name'>, gateway: { readonly siteName: string; readonly role: 'primary' | 'secondary' }): 'primary' | 'secondary' {
  return gateway.role === 'primary' && status.name === gateway.siteName ? 'primary' : 'secondary';
}

/** One site's `GeoSiteStatus` JSON. `role` is the role of the site the status describes. */
export function geoSiteStatusJson(status: GeoNodeStatus, role: 'primary' | 'secondary', context: StatusJsonContext): GeoSiteStatusJson {
  // 0 on the wire means "not registered / not known yet": GitLab has no such status, null says it.
  const geoNodeId = status.geoNodeId === 0 ? null : status.geoNodeId;
  const sitePath = `${context.origin}${context.apiPath}/${geoNodeId ?? ''}`;
  const links: StatusJsonLinks =
    context.apiPath === '/api/v4/geo_nodes' ? { self: `${sitePath}/status`, node: sitePath } : { self: `${sitePath}/status`, site: sitePath };
  const perType = Object.assign({}, ...context.replicables.map((def) => replicableFields(def, status.replicables[def.name]))) as Record<string, number | string | null>;
  return {
    geo_node_id: geoNodeId,
    ...NOT_APPLICABLE_FIELDS,
    // GitLab sets it from the container registry replication setting on secondaries only; we replicate no containers.
    container_repositories_replication_enabled: role === 'secondary' ? false : null,
    ...perType,
    healthy: status.healthy,
    health: status.health,
    health_status: status.healthStatus,
    health_issues: status.healthIssues.map((issue) => ({ code: issue.code, message: issue.message })),
    event_lag_seconds: status.eventLagSeconds ?? null,
    last_event_id: status.lastEventId ?? null,
    last_event_timestamp: unixSeconds(status.lastEventTimestamp),
    cursor_last_event_id: status.cursorLastEventId ?? null,
    cursor_last_event_timestamp: unixSeconds(status.cursorLastEventTimestamp),
    last_successful_status_check_timestamp: unixSeconds(status.lastSuccessfulStatusCheckTimestamp),
    version: status.version,
    revision: status.revision,
    // GitLab renders the column: null when every namespace is replicated.
    selective_sync_type: status.selectiveSyncType === '' ? null : status.selectiveSyncType,
    // GitLab's NamespaceBasic entities; the status carries only their ids.
    namespaces: status.namespaceIds.map((id) => ({ id })),
    updated_at: status.updatedAt?.toISOString() ?? null,
    // One storage shard per site: a secondary's shards always match the primary's.
    storage_shards_match: true,
    _links: links,
  };
}
