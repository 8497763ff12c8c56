import { errorFields } from '@geo/domain';
import type { MetricFamilySnapshot } from '@geo/grpc';
import type { GeoNodeStatus } from '@geo/proto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { EXPOSITION_CONTENT_TYPE, mergeFamilies, renderExposition } from './exposition';
import { statusFamilies, type StatusGaugeOptions } from './status-gauges';

/** A sibling app whose metrics registry `/metrics` includes (its `geo.v1.MetricsService`). */
export interface MetricsSource {
  /** The app's name, the `app` label of `geo_metrics_scrape_up`. */
  readonly app: string;
  scrape(): Promise<MetricFamilySnapshot[]>;
}

/** What `/metrics` reads: the site's statuses (for the gauges) and the siblings to scrape. */
export interface MetricsRoutesOptions extends StatusGaugeOptions {
  /** `StatusApi.listStatuses` of a client with a short deadline (see `METRICS_SCRAPE_TIMEOUT_MS`). */
  readonly statuses: { listStatuses(): Promise<GeoNodeStatus[]> };
  readonly sources: readonly MetricsSource[];
}

/**
 * Deadline of each part of one `/metrics` answer (the status read and every sibling scrape, all in
 * parallel): under Prometheus' default 10 s scrape timeout, so a dead sibling costs its own
 * families, never the whole scrape.
 */
export const METRICS_SCRAPE_TIMEOUT_MS = 5000;

/** 1 when a part of the answer was read, 0 when it failed (its families are then absent). */
export const SCRAPE_UP = 'geo_metrics_scrape_up';

/** The app label of the status part (the gauges come from the site's `status` app). */
const STATUS_APP = 'status';

type Part = { readonly app: string; readonly families: MetricFamilySnapshot[] | undefined };

async function readPart(app: string, read: () => Promise<MetricFamilySnapshot[]>, log: FastifyBaseLogger): Promise<Part> {
  try {
    return { app, families: await read() };
  } catch (error) {
    log.warn({ app, ...errorFields(error) }, 'metrics: a part of /metrics could not be read; it is reported as geo_metrics_scrape_up 0');
    return { app, families: undefined };
  }
}

/** Every family of one `/metrics` answer: the gauges, the scrape-up gauge, then each sibling's families. */
export async function collectFamilies(options: MetricsRoutesOptions, log: FastifyBaseLogger): Promise<MetricFamilySnapshot[]> {
  const parts = await Promise.all([
    readPart(STATUS_APP, async () => statusFamilies(await options.statuses.listStatuses(), options), log),
    ...options.sources.map((source) => readPart(source.app, () => source.scrape(), log)),
  ]);
  const up: MetricFamilySnapshot = {
    name: SCRAPE_UP,
    help: "1 when this /metrics answer includes the app's metrics, 0 when reading them failed",
    type: 'gauge',
    values: parts.map((part) => ({ value: part.families === undefined ? 0 : 1, labels: { app: part.app } })),
  };
  const [gauges, ...siblings] = parts.map((part) => part.families ?? []);
  const merged = mergeFamilies([gauges ?? [], [up], ...siblings]);
  if (merged.dropped.length > 0) log.error({ families: merged.dropped }, 'metrics: metric families named twice; the later copies were dropped');
  return merged.families;
}

/**
 * `GET /metrics` (DESIGN §7): Prometheus text exposition of GitLab's `geo_*` gauges for every
 * status this site knows (spec §8.3), plus the histograms the site's blob-transfer and checksum apps
 * observe (ADR 0010). Unauthenticated, like a Prometheus target: restrict it at the network, as
 * GitLab does with its monitoring IP allowlist.
 */
export async function metricsRoutes(app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  app.get('/metrics', async (request, reply) => {
    const body = await renderExposition(await collectFamilies(options, request.log));
    return reply.header('content-type', EXPOSITION_CONTENT_TYPE).send(body);
  });
}
