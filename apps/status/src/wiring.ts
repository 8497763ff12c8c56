import { ConfigError, errorFields, type LoggerPort, type NodeStatus } from '@geo/domain';
import { replicationEnabled, type AppConfig, type StatusConfig } from '@geo/config';
import { DEFAULT_SITE_LOOKUP_TTL_MS, PrimaryCatalogClient } from '@geo/grpc';
import { NatsLink } from '@geo/nats';
import {
  MigratedDatabase,
  PgGeoNodeStatusRepository,
  PgPrimaryStatusCounts,
  PgRegistryStatusCounts,
  PgReplicableCatalogRepository,
} from '@geo/pg';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts, Component } from '@geo/service-kit';
import { releaseVersion } from './build-info';
import { StatusComputer } from './compute/status-computer';
import { SiteStatusService } from './compute/status-service';
import { catalogueIdentity } from './grpc/catalogue-identity';
import { primaryStatusService, secondaryStatusService } from './grpc/status-grpc-service';
import { StatusPusher } from './grpc/status-pusher';
import { eventConsumerDurable, JetStreamEventStreamView } from './nats/event-stream-view';
import { JetStreamProbe } from './nats/nats-probe';
import { databaseProbe, eventLogHeartbeat, logCursor, outboxLastEvent, siteIdentityByName, syncBacklog } from './pg/pg-status-sources';
import { StatusLoop } from './status-loop';

/** Knobs tests turn; the defaults are the production values. */
export interface StatusTuning {
  readonly clock?: () => Date;
  /** The primary's event stream; default `GEO_EVENTS`. */
  readonly eventStream?: string;
  /** `GetStatus` reuses a status younger than this; default 10 s. */
  readonly reuseMs?: number;
}

/** The parts, with the status service exposed for tests and the benchmark. */
export interface StatusParts extends AppParts {
  readonly database: MigratedDatabase;
  readonly service: SiteStatusService;
}

function statusConfig(config: AppConfig): StatusConfig {
  if (config.status === undefined) throw new ConfigError('the status app needs its GEO_STATUS_* settings');
  return config.status;
}

/**
 * The status app's parts for this site's role. Loaded by main.ts after tracing started, because it
 * pulls in pg, NATS and @grpc/grpc-js.
 */
export async function build({ config, logger }: AppContext): Promise<AppParts> {
  switch (config.site.role) {
    case 'primary':
      return buildPrimary(config, logger);
    case 'secondary':
      return buildSecondary(config, logger);
  }
}

/** What both roles share: the computer's fixed inputs. */
function computerBasics(config: AppConfig, logger: LoggerPort, tuning: StatusTuning) {
  const status = statusConfig(config);
  return {
    replicables: REPLICABLES,
    replicationEnabled: replicationEnabled(config),
    siteName: config.site.name,
    version: releaseVersion(),
    revision: status.revision,
    thresholds: status.health,
    logger,
    ...(tuning.clock === undefined ? {} : { clock: tuning.clock }),
  };
}

function siteService(computer: StatusComputer, tuning: StatusTuning): SiteStatusService {
  return new SiteStatusService({
    computer,
    ...(tuning.reuseMs === undefined ? {} : { reuseMs: tuning.reuseMs }),
    ...(tuning.clock === undefined ? {} : { clock: tuning.clock }),
  });
}

/**
 * Primary: computes its own status (model and state counts, newest outbox event, database and NATS
 * health), stores it in `geo_node_statuses` once it is registered in `geo_sites`, and serves
 * `StatusService` with the statuses secondaries push. Start order: database, NATS, the loop; stop in
 * reverse.
 */
export function buildPrimary(config: AppConfig, logger: LoggerPort, tuning: StatusTuning = {}): StatusParts {
  const { nats } = config;
  if (nats === undefined) throw new ConfigError('the status app needs NATS_URL');
  const status = statusConfig(config);
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'primary', logger, applicationName: 'geo-status', maxConnections: 4 });
  const pool = database.pool;
  const link = new NatsLink({ servers: nats.url, name: `geo-status@${config.site.name}`, logger });
  const computer = new StatusComputer({
    ...computerBasics(config, logger, tuning),
    sources: {
      role: 'primary',
      database: databaseProbe(pool),
      nats: new JetStreamProbe(link, nats.url),
      identity: siteIdentityByName(pool, config.site.name),
      counts: new PgPrimaryStatusCounts(pool),
      events: outboxLastEvent(pool),
    },
  });
  const service = siteService(computer, tuning);
  const stored = new PgGeoNodeStatusRepository(pool, REPLICABLES);
  const catalog = new PgReplicableCatalogRepository(pool);
  const storeOwn = async (own: NodeStatus): Promise<void> => {
    if (own.geoNodeId === null) return; // not registered in geo_sites yet
    try {
      await stored.save(own.geoNodeId, own);
    } catch (error) {
      // The status itself already says why (database_unreachable); the next round stores again.
      logger.warn(errorFields(error), 'status: cannot store this site\'s status');
    }
  };
  const loop = new StatusLoop({ service, publish: storeOwn, intervalMs: status.intervalSeconds * 1000, logger });
  return {
    database,
    service,
    components: [database, link, loop],
    grpcServices: [
      primaryStatusService({
        own: service,
        stored,
        lookupSite: (accessKey) => catalog.findSiteByAccessKey(accessKey),
        thresholds: status.health,
        logger,
        siteCacheTtlMs: DEFAULT_SITE_LOOKUP_TTL_MS,
        ...(tuning.clock === undefined ? {} : { clock: tuning.clock }),
      }),
    ],
  };
}

/**
 * Secondary: computes its own status (registry counts, log cursor, the primary's stream and its
 * consumer's lag, the event-log heartbeat, sync progress, database and NATS health), pushes it to the
 * primary every round and serves it. Start order: database, the site's NATS, the primary's NATS, the
 * primary clients, the loop; stop in reverse.
 */
export function buildSecondary(config: AppConfig, logger: LoggerPort, tuning: StatusTuning = {}): StatusParts {
  const { primary, nats } = config;
  if (primary === undefined || nats === undefined || primary.natsUrl === undefined) {
    throw new ConfigError('the status app on a secondary needs NATS_URL, GEO_PRIMARY_NATS_URL and the primary site settings');
  }
  const status = statusConfig(config);
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'secondary', logger, applicationName: 'geo-status', maxConnections: 4 });
  const pool = database.pool;
  const siteLink = new NatsLink({ servers: nats.url, name: `geo-status@${config.site.name}`, logger });
  const primaryLink = new NatsLink({ servers: primary.natsUrl, name: `geo-status-events@${config.site.name}`, logger });
  const catalogue = new PrimaryCatalogClient({ target: primary.grpcUrls.registry, accessKey: primary.accessKey, secretAccessKey: primary.secretAccessKey, deadlineMs: 10_000 });
  const pusher = new StatusPusher({ target: primary.grpcUrls.status, accessKey: primary.accessKey, secretAccessKey: primary.secretAccessKey, logger });
  const clients: Component = {
    name: 'primary-clients',
    start: async () => undefined,
    async stop() {
      pusher.close();
      catalogue.close();
    },
  };
  const firstType = REPLICABLES[0];
  const computer = new StatusComputer({
    ...computerBasics(config, logger, tuning),
    sources: {
      role: 'secondary',
      database: databaseProbe(pool),
      nats: new JetStreamProbe(siteLink, nats.url),
      identity: catalogueIdentity(catalogue, firstType.name),
      counts: new PgRegistryStatusCounts(pool),
      backlog: syncBacklog(pool, REPLICABLES),
      cursor: logCursor(pool),
      eventStream: new JetStreamEventStreamView({
        link: primaryLink,
        url: primary.natsUrl,
        durable: eventConsumerDurable(config.site.name),
        ...(tuning.eventStream === undefined ? {} : { stream: tuning.eventStream }),
      }),
      heartbeat: eventLogHeartbeat(pool),
      push: pusher,
    },
  });
  const service = siteService(computer, tuning);
  const loop = new StatusLoop({
    service,
    publish: async (own) => {
      await pusher.push(own);
    },
    intervalMs: status.intervalSeconds * 1000,
    logger,
  });
  return { database, service, components: [database, siteLink, primaryLink, clients, loop], grpcServices: [secondaryStatusService(service, logger)] };
}
