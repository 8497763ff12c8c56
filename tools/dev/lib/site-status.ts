import { Metadata, credentials } from '@grpc/grpc-js';
import { StatusServiceClient, type GeoNodeStatus, type ReplicableStatus } from '@geo/proto';

/** `GetStatus` of a site's status app (its current GeoNodeStatus, computed on demand), 5 s deadline. */
export function fetchSiteStatus(address: string): Promise<GeoNodeStatus> {
  const client = new StatusServiceClient(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.getStatus({}, new Metadata(), { deadline: Date.now() + 5000 }, (err, res) => {
      client.close();
      if (err !== null) reject(err);
      else if (res.status === undefined) reject(new Error(`status app at ${address} answered without a status`));
      else resolve(res.status);
    });
  });
}

/** `ListStatuses` of the primary's status app: its own status and those its secondaries pushed. */
export function fetchStoredStatuses(address: string): Promise<GeoNodeStatus[]> {
  const client = new StatusServiceClient(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.listStatuses({}, new Metadata(), { deadline: Date.now() + 5000 }, (err, res) => {
      client.close();
      if (err !== null) reject(err);
      else resolve(res.statuses);
    });
  });
}

const BAR_WIDTH = 20;

/** `[#########-----------]  45.00%`: a progress bar as the admin page draws it, in text. */
export function progressBar(percentage: number): string {
  const filled = Math.round((Math.min(100, Math.max(0, percentage)) / 100) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percentage.toFixed(2).padStart(6)}%`;
}

function count(value: number | undefined): string {
  return value === undefined ? '-' : String(value);
}

function replicableLines(name: string, r: ReplicableStatus, role: 'primary' | 'secondary'): string[] {
  if (role === 'primary') {
    return [`${name}: ${count(r.count)} records, ${count(r.checksummedCount)}/${count(r.checksumTotalCount)} checksummed, ${count(r.checksumFailedCount)} checksum failed`];
  }
  return [
    `${name}: ${count(r.registryCount)} registries, ${count(r.syncedCount)} synced, ${count(r.failedCount)} failed, ` +
      `${count(r.verifiedCount)}/${count(r.verificationTotalCount)} verified, ${count(r.verificationFailedCount)} verification failed`,
    `  synced   ${progressBar(r.syncedInPercentage)}`,
    `  verified ${progressBar(r.verifiedInPercentage)}`,
  ];
}

/** A site's GeoNodeStatus as a few lines of text (the demo's and operators' view). */
export function formatSiteStatus(status: GeoNodeStatus, role: 'primary' | 'secondary'): string[] {
  const lines = [`${status.name} (${role}, geo_node_id ${status.geoNodeId}): ${status.healthStatus}${status.healthy ? '' : ` — ${status.health}`}`];
  const events =
    role === 'primary'
      ? `last event #${count(status.lastEventId)}`
      : `last event #${count(status.lastEventId)}, cursor at #${count(status.cursorLastEventId)}, event lag ${count(status.eventLagSeconds)} s`;
  lines.push(`  ${events}; version ${status.version} (${status.revision.slice(0, 12)}); updated ${status.updatedAt?.toISOString() ?? '-'}`);
  for (const [name, r] of Object.entries(status.replicables)) lines.push(...replicableLines(name, r, role).map((l) => `  ${l}`));
  return lines;
}
