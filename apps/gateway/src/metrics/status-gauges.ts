import { prometheusGaugeName, STATUS_COUNT_SUFFIXES, statusFieldsFor, type ReplicableDefinition, type StatusCountKey } from '@geo/domain';
import type { MetricFamilySnapshot, MetricSampleSnapshot } from '@geo/grpc';
import type { GeoNodeStatus } from '@geo/proto';
import { geoSiteStatusJson, roleOfStatus, type GeoSiteStatusJson } from '../status/status-json';

/**
 * GitLab's Geo gauges (spec §8.3, `Geo::MetricsUpdateService`) from GeoNodeStatuses. Pure.
 *
 * Values are read from the very `GeoSiteStatus` JSON the REST API renders (`geoSiteStatusJson`), so
 * a gauge equals its REST field by construction. As in GitLab: gauge name = `geo_` + field name with
 * one trailing `_count` or `_total` removed; only integer values are exported (a null field has no
 * sample); labels `name` and `url` are both the site's name.
 *
 * Two names keep a `_total` suffix after the rule (`…_checksum_total`, `…_verification_total`), which
 * `promtool check metrics` refuses on a gauge; those families are typed `untyped` instead (ADR 0010),
 * so the names stay GitLab's and the lint passes. Prometheus stores untyped samples like gauges.
 */

/** Per-type count fields and their help text, by `STATUS_COUNT_SUFFIXES` key. */
const COUNT_HELP: Readonly<Record<StatusCountKey, (plural: string) => string>> = {
  count: (p) => `Number of ${p} on the primary; on a secondary, the number in its registry`,
  checksumTotalCount: (p) => `Number of ${p} to checksum on the primary`,
  checksummedCount: (p) => `Number of ${p} that successfully calculated the checksum on the primary`,
  checksumFailedCount: (p) => `Number of ${p} that failed to calculate the checksum on the primary`,
  syncedCount: (p) => `Number of syncable ${p} synced on the secondary`,
  failedCount: (p) => `Number of syncable ${p} failed to sync on the secondary`,
  registryCount: (p) => `Number of ${p} in the registry`,
  verificationTotalCount: (p) => `Number of ${p} to attempt to verify on the secondary`,
  verifiedCount: (p) => `Number of ${p} successfully verified on the secondary`,
  verificationFailedCount: (p) => `Number of ${p} that failed verification on the secondary`,
};

/** Site-wide status fields exported as gauges (GitLab's PROMETHEUS_METRICS that apply, plus our event lag). */
export const NODE_GAUGE_FIELDS: Readonly<Record<string, string>> = {
  db_replication_lag_seconds: 'Database replication lag (seconds); never set here: no database streaming (ADR 0007)',
  event_lag_seconds: "Age in seconds of the oldest primary event this secondary has not applied yet (replaces db_replication_lag_seconds, ADR 0007)",
  last_event_id: 'Database ID of the latest event in the Geo event log',
  last_event_timestamp: 'UNIX timestamp of the latest event in the Geo event log',
  cursor_last_event_id: 'Last database ID of the event log processed by the secondary',
  cursor_last_event_timestamp: 'Last UNIX timestamp of the event log processed by the secondary',
  last_successful_status_check_timestamp: 'Last timestamp when the status was successfully updated',
};

/** GitLab's counter of failed status pushes (`MetricsUpdateService#increment_failed_status_counter`). */
export const STATUS_FAILED_TOTAL = 'geo_status_failed_total';

/** One field of the status JSON and the gauge family it becomes. */
export interface GaugeField {
  readonly field: string;
  readonly gauge: string;
  readonly help: string;
}

/** Every field exported as a gauge, in output order: per type the 10 counts, then the site-wide fields. */
export function gaugeFields(replicables: readonly Pick<ReplicableDefinition, 'pluralName'>[]): GaugeField[] {
  const perType = replicables.flatMap((def) => {
    const names = statusFieldsFor(def);
    return (Object.keys(STATUS_COUNT_SUFFIXES) as StatusCountKey[]).map((key) => ({
      field: names[key],
      gauge: prometheusGaugeName(names[key]),
      help: COUNT_HELP[key](def.pluralName),
    }));
  });
  const node = Object.entries(NODE_GAUGE_FIELDS).map(([field, help]) => ({ field, gauge: prometheusGaugeName(field), help }));
  // GitLab's Prometheus-only `event_log_max_id` (`Geo::EventLog.maximum(:id)`) is the newest event's
  // id, which is what `last_event_id` holds here.
  const eventLogMaxId = { field: 'last_event_id', gauge: 'geo_event_log_max_id', help: 'Highest ID in the Geo event log' };
  return [...perType, ...node, eventLogMaxId];
}

/** The Prometheus type of a gauge family: `untyped` where the GitLab name ends in `_total` (see above). */
export function gaugeType(gauge: string): 'gauge' | 'untyped' {
  return gauge.endsWith('_total') ? 'untyped' : 'gauge';
}

export interface StatusGaugeOptions {
  /** This gateway's site (`GEO_SITE_NAME`) and role: on the primary, every other status is a secondary's. */
  readonly siteName: string;
  readonly role: 'primary' | 'secondary';
  readonly replicables: readonly Pick<ReplicableDefinition, 'name' | 'pluralName'>[];
}

/** The REST rendering used for the values; links are not exported, so their origin does not matter. */
function restJson(status: GeoNodeStatus, options: StatusGaugeOptions): GeoSiteStatusJson {
  return geoSiteStatusJson(status, roleOfStatus(status, options), { origin: '', apiPath: '/api/v4/geo_sites', replicables: options.replicables });
}

function siteLabels(status: Pick<GeoNodeStatus, 'name'>): Record<string, string> {
  return { name: status.name, url: status.name };
}

/**
 * The gauge families (and `geo_status_failed_total`) for `statuses`: on the primary its own and
 * every stored secondary status, on a secondary its own (what `listStatuses` returns). A family
 * without any integer sample is left out.
 */
export function statusFamilies(statuses: readonly GeoNodeStatus[], options: StatusGaugeOptions): MetricFamilySnapshot[] {
  const rendered = statuses.map((status) => ({ labels: siteLabels(status), json: restJson(status, options) }));
  const families: MetricFamilySnapshot[] = [];
  for (const { field, gauge, help } of gaugeFields(options.replicables)) {
    const values: MetricSampleSnapshot[] = rendered.flatMap(({ labels, json }) => {
      const value = json[field];
      return typeof value === 'number' && Number.isInteger(value) ? [{ value, labels }] : [];
    });
    if (values.length > 0) families.push({ name: gauge, help, type: gaugeType(gauge), values });
  }
  const failures = statuses.flatMap((status) => (status.statusFailedTotal === undefined ? [] : [{ value: status.statusFailedTotal, labels: siteLabels(status) }]));
  if (failures.length > 0) families.push({ name: STATUS_FAILED_TOTAL, help: 'Number of times pushing the status of the Geo site to the primary failed', type: 'counter', values: failures });
  return families;
}
