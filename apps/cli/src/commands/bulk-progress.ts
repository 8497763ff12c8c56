import { statusFieldsFor, type ReplicableDefinition } from '@geo/domain';
import type { RegistryAction } from './registry-actions';
import type { SiteStatusJson } from './sites-api';
import { progressBar } from './status-output';

/**
 * How far a bulk action has come, from the site's status counts (GitLab's `GeoNodeStatus`):
 * - RESYNC_ALL makes every registry pending; a row is done again once synced or failed, so the
 *   action is finished when `synced + failed = registry_count`;
 * - REVERIFY_ALL makes every synced row's verification pending; done once verified or failed, so
 *   finished when `verified + verification_failed = verification_total` (the synced, verifiable rows).
 */
export interface BulkProgress {
  readonly action: RegistryAction;
  /** Rows finished (succeeded or failed). */
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Rows the action covers. */
  readonly total: number;
  readonly finished: boolean;
}

function count(status: SiteStatusJson, field: string): number | null {
  const value = status[field];
  return typeof value === 'number' ? value : null;
}

/** Progress from one status; null when the status has no registry counts (a primary, or the type is off). */
export function bulkProgress(action: RegistryAction, status: SiteStatusJson, def: Pick<ReplicableDefinition, 'pluralName'>): BulkProgress | null {
  const f = statusFieldsFor(def);
  const [succeeded, failed, total] =
    action === 'resync'
      ? [count(status, f.syncedCount), count(status, f.failedCount), count(status, f.registryCount)]
      : [count(status, f.verifiedCount), count(status, f.verificationFailedCount), count(status, f.verificationTotalCount)];
  if (succeeded === null || failed === null || total === null) return null;
  const done = succeeded + failed;
  return { action, done, succeeded, failed, total, finished: done >= total };
}

const WORDS: Readonly<Record<RegistryAction, { readonly doing: string; readonly ok: string; readonly failed: string }>> = {
  resync: { doing: 'resync', ok: 'synced', failed: 'failed' },
  reverify: { doing: 'reverify', ok: 'verified', failed: 'verification failed' },
};

/** `resync   [##########----------]  50.00%  9 of 20 synced, 1 failed`. */
export function progressLine(p: BulkProgress): string {
  const w = WORDS[p.action];
  const percentage = p.total === 0 ? 100 : (p.done / p.total) * 100;
  return `${w.doing.padEnd(8)} ${progressBar(percentage)}  ${p.succeeded} of ${p.total} ${w.ok}, ${p.failed} ${w.failed}`;
}

/** The last word once the wait ends. */
export function finishedLine(p: BulkProgress): string {
  const w = WORDS[p.action];
  if (p.total === 0) return `${w.doing}: no registry to ${w.doing}`;
  return `${w.doing} finished: ${p.succeeded} of ${p.total} ${w.ok}, ${p.failed} ${w.failed}${p.failed > 0 ? ' (`geo status` and the admin page show the failures)' : ''}`;
}
