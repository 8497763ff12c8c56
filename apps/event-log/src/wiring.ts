import { ConfigError, type LoggerPort } from '@geo/domain';
import type { AppConfig } from '@geo/config';
import { EventOutboxRepository, MigratedDatabase, PgEventLogHeartbeatRepository } from '@geo/pg';
import type { AppContext, AppParts, Component } from '@geo/service-kit';
import { primaryEventLogService } from './grpc/event-log-service';
import { NatsLink } from '@geo/nats';
import { PrimaryCatalogClient } from '@geo/grpc';
import { REPLICABLES } from '@geo/replicables';
import { createBlobStore } from '@geo/storage';
import { ConsumerHeartbeat } from './consumer/consumer-heartbeat';
import { createEventConsumer } from './consumer/create-event-consumer';
import { natsNudge } from './consumer/nats-nudge';
import { JetStreamEventPublisher } from './relay/jetstream-event-publisher';
import { OutboxRelay, type OutboxRelayOptions } from './relay/outbox-relay';

/** Knobs tests turn (the defaults are the production values). */
export type PrimaryTuning = Pick<OutboxRelayOptions, 'batchSize' | 'pollIntervalMs' | 'retryDelay'> & {
  /** Pause between the NATS client's reconnect attempts; default 2 s. */
  readonly reconnectTimeWaitMs?: number;
  readonly publishTimeoutMs?: number;
};

/**
 * The event-log's parts for this site's role. Loaded by main.ts after tracing started, because it
 * pulls in pg and @grpc/grpc-js.
 */
export async function build({ config, logger }: AppContext): Promise<AppParts> {
  switch (config.site.role) {
    case 'primary':
      return buildPrimary(config, logger);
    case 'secondary':
      return buildSecondary(config, logger);
  }
}

/**
 * Secondary: the log cursor (spec §4.5) — a durable consumer `geo-<site>` on the primary's
 * GEO_EVENTS that applies events to the tracking database, asks the primary's catalogue for scope,
 * and nudges this site's scheduler over its own NATS, plus the consumer's heartbeat in the tracking
 * database (the status app's `event_consumer_silent` rule, ADR 0007). Start order: database, the two
 * NATS links, the catalogue client, the consumer, the heartbeat; stop in reverse.
 */
export function buildSecondary(config: AppConfig, logger: LoggerPort): AppParts {
  const { blobStore, primary, nats, eventLog } = config;
  if (blobStore === undefined || primary === undefined || nats === undefined || primary.natsUrl === undefined || eventLog === undefined) {
    throw new ConfigError('event-log on a secondary needs the blob store, NATS_URL, GEO_PRIMARY_NATS_URL and the primary site settings');
  }
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'secondary', logger, applicationName: 'geo-event-log', maxConnections: 4 });
  const primaryLink = new NatsLink({ servers: primary.natsUrl, name: `geo-event-log@${config.site.name}`, logger });
  const siteLink = new NatsLink({ servers: nats.url, name: `geo-event-log-nudge@${config.site.name}`, logger });
  const catalogue = new PrimaryCatalogClient({ target: primary.grpcUrls.registry, accessKey: primary.accessKey, secretAccessKey: primary.secretAccessKey });
  const client: Component = { name: 'primary-catalog-client', start: async () => undefined, stop: async () => catalogue.close() };
  const consumer = createEventConsumer({
    siteName: config.site.name,
    primaryLink,
    pool: database.pool,
    blobStore: createBlobStore(blobStore),
    catalogue,
    replicables: REPLICABLES,
    nudge: natsNudge({ connection: () => siteLink.core(), logger }),
    logger,
  });
  const heartbeat = new ConsumerHeartbeat({
    consumer,
    store: new PgEventLogHeartbeatRepository(database.pool),
    intervalMs: eventLog.heartbeatIntervalSeconds * 1000,
    logger,
  });
  return { components: [database, primaryLink, siteLink, client, consumer, heartbeat] };
}

/**
 * Primary: the outbox relay (PostgreSQL `geo_events` → JetStream `GEO_EVENTS`) and
 * `EventLogService`. Components start in order database → NATS link → relay and stop in reverse,
 * so the relay finishes its in-flight publish and mark before NATS and the pool close.
 */
export function buildPrimary(config: AppConfig, logger: LoggerPort, tuning: PrimaryTuning = {}): AppParts {
  if (config.nats === undefined) throw new ConfigError('event-log needs NATS_URL');
  // The relay uses one connection at a time; gRPC reads use the rest.
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'primary', logger, applicationName: 'geo-event-log', maxConnections: 4 });
  const outbox = new EventOutboxRepository(database.pool);
  const link = new NatsLink({
    servers: config.nats.url,
    name: `geo-event-log@${config.site.name}`,
    logger,
    ...(tuning.retryDelay === undefined ? {} : { retryDelay: tuning.retryDelay }),
    ...(tuning.reconnectTimeWaitMs === undefined ? {} : { reconnectTimeWaitMs: tuning.reconnectTimeWaitMs }),
  });
  const publisher = new JetStreamEventPublisher({
    link,
    logger,
    ...(tuning.publishTimeoutMs === undefined ? {} : { publishTimeoutMs: tuning.publishTimeoutMs }),
  });
  const relay = new OutboxRelay({
    outbox,
    publisher,
    logger,
    ...(tuning.batchSize === undefined ? {} : { batchSize: tuning.batchSize }),
    ...(tuning.pollIntervalMs === undefined ? {} : { pollIntervalMs: tuning.pollIntervalMs }),
    ...(tuning.retryDelay === undefined ? {} : { retryDelay: tuning.retryDelay }),
  });
  return { components: [database, link, relay], grpcServices: [primaryEventLogService(outbox, logger)] };
}
