import type { Pool } from 'pg';
import type { LoggerPort, ReplicableDefinition } from '@geo/domain';
import type { JetStreamSession } from '@geo/nats';
import { EventApplier } from './event-applier';
import { EventConsumer, type EventConsumerOptions } from './event-consumer';
import { PgEventStore } from './pg-event-store';
import type { BlobRemover, ReplicableCatalogue } from './ports';

/** Everything a secondary's event-log needs to run the log cursor. */
export interface SecondaryEventConsumerParts {
  /** `GEO_SITE_NAME`: the durable consumer is `geo-<siteName>`. */
  readonly siteName: string;
  /** A started `NatsLink` to the PRIMARY's NATS (`GEO_PRIMARY_NATS_URL`). */
  readonly primaryLink: { session(): JetStreamSession | undefined };
  /** The secondary's database pool. */
  readonly pool: Pool;
  /** The site's blob store (`createBlobStore(config)`); only `delete` is used. */
  readonly blobStore: BlobRemover;
  /** `PrimaryCatalogClient` for the primary registry app. */
  readonly catalogue: ReplicableCatalogue;
  /** `REPLICABLES` from `@geo/replicables`. */
  readonly replicables: readonly ReplicableDefinition[];
  /** Wakes the scheduler; see `natsNudge` (publish on the SITE's NATS). */
  readonly nudge: () => void;
  readonly logger: LoggerPort;
  /** Test knobs; the defaults are the production values. */
  readonly tuning?: Pick<EventConsumerOptions, 'stream' | 'batchSize' | 'lingerMs' | 'fetchExpiresMs' | 'ackWaitMs' | 'retryDelay' | 'clock'>;
}

/** Wires the applier (PostgreSQL store, catalogue, blob store) under the JetStream consumer. */
export function createEventConsumer(parts: SecondaryEventConsumerParts): EventConsumer {
  const store = new PgEventStore({ pool: parts.pool });
  const applier = new EventApplier({
    replicables: parts.replicables,
    catalogue: parts.catalogue,
    store,
    blobs: parts.blobStore,
    nudge: parts.nudge,
    logger: parts.logger,
  });
  return new EventConsumer({ ...parts.tuning, siteName: parts.siteName, link: parts.primaryLink, applier, store, logger: parts.logger });
}
