import { Metadata, credentials } from '@grpc/grpc-js';
import { StatusServiceClient, type GeoNodeStatus } from '@geo/proto';

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
