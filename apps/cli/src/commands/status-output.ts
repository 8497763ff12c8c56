import { statusFieldsFor, type ReplicableDefinition } from '@geo/domain';
import type { SiteStatusJson } from './sites-api';

const BAR_WIDTH = 20;

/** `[#########-----------]  45.00%`: a progress bar as the admin page draws it, in text. */
export function progressBar(percentage: number): string {
  const clamped = Math.min(100, Math.max(0, percentage));
  const filled = Math.round((clamped / 100) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percentage.toFixed(2).padStart(6)}%`;
}

/** GitLab's "45.00%" as a number; anything else (absent, malformed) as 0 so a bar still draws. */
function percentOf(value: unknown): number {
  const match = typeof value === 'string' ? /^(-?\d+(?:\.\d+)?)%$/.exec(value) : null;
  return match === null ? 0 : Number(match[1]);
}

/** A scalar JSON field for people; null, absent or structured values show as "-". */
function shown(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? String(value) : '-';
}

/**
 * One replicable type: a primary reports its records and checksums, a secondary its registry,
 * sync and verification progress. Which side a status is follows from which counters are set
 * (GitLab leaves the other side's null), so no role has to be guessed.
 */
function replicableLines(def: Pick<ReplicableDefinition, 'pluralName'>, status: SiteStatusJson): string[] {
  const f = statusFieldsFor(def);
  const v = (field: string): unknown => status[field];
  const hasRegistry = v(f.registryCount) !== null && v(f.registryCount) !== undefined;
  const hasChecksums = v(f.checksumTotalCount) !== null && v(f.checksumTotalCount) !== undefined;
  if (!hasRegistry && !hasChecksums) return [`${def.pluralName}: not replicated (no counts)`];
  const lines: string[] = [];
  if (hasChecksums) {
    lines.push(
      `${def.pluralName}: ${shown(v(f.count))} records, ${shown(v(f.checksummedCount))}/${shown(v(f.checksumTotalCount))} checksummed, ` +
        `${shown(v(f.checksumFailedCount))} checksum failed`,
    );
  }
  if (hasRegistry) {
    lines.push(
      `${def.pluralName}: ${shown(v(f.registryCount))} registries, ${shown(v(f.syncedCount))} synced, ${shown(v(f.failedCount))} failed, ` +
        `${shown(v(f.verifiedCount))}/${shown(v(f.verificationTotalCount))} verified, ${shown(v(f.verificationFailedCount))} verification failed`,
      `  synced   ${progressBar(percentOf(v(f.syncedInPercentage)))}`,
      `  verified ${progressBar(percentOf(v(f.verifiedInPercentage)))}`,
    );
  }
  return lines;
}

/** Unix seconds (GitLab's event timestamps) as ISO 8601, for people. */
function unixTime(value: unknown): string {
  return typeof value === 'number' ? new Date(value * 1000).toISOString() : '-';
}

/**
 * `geo status` for people: per site its health (with every cause when unhealthy), events and lag,
 * then per replicable type its counts and progress bars. The lag is `event_lag_seconds`, the event
 * stream's lag that replaces GitLab's `db_replication_lag_seconds` (ADR 0007).
 */
export function statusLines(statuses: readonly SiteStatusJson[], replicables: readonly Pick<ReplicableDefinition, 'pluralName'>[]): string[] {
  const lines: string[] = [];
  for (const status of statuses) {
    if (lines.length > 0) lines.push('');
    lines.push(`site ${shown(status.geo_node_id)}: ${status.health_status}${status.healthy ? '' : ` — ${status.health}`}`);
    lines.push(
      `  last event #${shown(status['last_event_id'])} at ${unixTime(status['last_event_timestamp'])}, ` +
        `cursor at #${shown(status['cursor_last_event_id'])}, event lag ${shown(status['event_lag_seconds'])} s`,
    );
    lines.push(`  version ${shown(status['version'])} (${shown(status['revision']).slice(0, 12)}), updated ${shown(status['updated_at'])}`);
    for (const def of replicables) lines.push(...replicableLines(def, status).map((l) => `  ${l}`));
  }
  return lines.length === 0 ? ['no site status yet'] : lines;
}
