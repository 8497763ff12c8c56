/**
 * Health that tells the truth, end to end (issue 5 acceptance): the primary's status and registry
 * apps and the secondary's event-log and status apps run as real processes against real PostgreSQL
 * and a private nats-server per site. With shortened limits, stopping the secondary's event
 * consumer, its NATS, or the primary's status app makes the secondary unhealthy with a message naming
 * the cause well within 2 minutes, on the secondary and in the status the primary stored; starting it
 * again restores healthy.
 */
import { createChannelClient, unary } from '@geo/grpc';
import { geoEventsStream } from '@geo/nats';
import { createPool, migrate } from '@geo/pg';
import { StatusServiceClient, type GeoNodeStatus } from '@geo/proto';
import { appProcess, type AppProcess, createSitePair, freePort, type PrivateNatsServer, type SitePair } from '@geo/testing';

jest.setTimeout(240_000);

/** The issue's bound for noticing a cause. */
const WITHIN_MS = 120_000;

let sites: SitePair;
let secondaryNats: PrivateNatsServer;
let secondaryId: number;
let apps: { primaryStatus: AppProcess; primaryRegistry: AppProcess; eventLog: AppProcess; secondaryStatus: AppProcess };
let secondaryClient: StatusServiceClient;
let primaryClient: StatusServiceClient;

beforeAll(async () => {
  const [primaryStatusPort, registryPort, eventLogPort, secondaryStatusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  sites = await createSitePair('health', {
    pg: { migrate, createPool },
    // The primary's event-log relay creates GEO_EVENTS on its first publish; no relay runs here.
    primaryStreams: [geoEventsStream()],
    primaryGrpcUrl: `http://127.0.0.1:${registryPort}`,
    primaryStatusGrpcUrl: `http://127.0.0.1:${primaryStatusPort}`,
  });
  const { primary, secondary } = sites;
  [secondaryNats, secondaryId] = [secondary.nats, secondary.id];

  // Shortened limits (production: 2 minutes, a beat every 15 s, a status every minute).
  const shortened = {
    GEO_STATUS_INTERVAL_SECONDS: '1',
    GEO_STATUS_EVENT_CONSUMER_MAX_SILENCE_SECONDS: '5',
    GEO_STATUS_PRIMARY_MAX_UNREACHABLE_SECONDS: '5',
    GEO_EVENT_LOG_HEARTBEAT_INTERVAL_SECONDS: '1',
  };
  apps = {
    primaryStatus: appProcess('status', { ...primary.env, ...shortened, GEO_STATUS_GRPC_PORT: String(primaryStatusPort) }),
    primaryRegistry: appProcess('registry', { ...primary.env, GEO_REGISTRY_GRPC_PORT: String(registryPort) }),
    eventLog: appProcess('event-log', { ...secondary.env, ...shortened, GEO_EVENT_LOG_GRPC_PORT: String(eventLogPort) }),
    secondaryStatus: appProcess('status', { ...secondary.env, ...shortened, GEO_STATUS_GRPC_PORT: String(secondaryStatusPort) }),
  };
  await Promise.all([apps.primaryStatus.start(), apps.primaryRegistry.start(), apps.eventLog.start()]);
  await apps.secondaryStatus.start();
  secondaryClient = createChannelClient(StatusServiceClient, `http://127.0.0.1:${secondaryStatusPort}`);
  primaryClient = createChannelClient(StatusServiceClient, `http://127.0.0.1:${primaryStatusPort}`);
});

afterAll(async () => {
  secondaryClient?.close();
  primaryClient?.close();
  for (const app of Object.values(apps ?? {})) await app.stop();
  await sites?.dispose();
});

/** The secondary's own status (its StatusService). */
async function secondaryStatus(): Promise<GeoNodeStatus> {
  const { status } = await unary(secondaryClient.getStatus.bind(secondaryClient), {}, { deadlineMs: 10_000 });
  if (status === undefined) throw new Error('GetStatus answered without a status');
  return status;
}

/** The secondary's status as the primary stored it from the pushes. */
async function storedOnPrimary(): Promise<GeoNodeStatus | undefined> {
  const { status } = await unary(primaryClient.getStatus.bind(primaryClient), { geoNodeId: secondaryId }, { deadlineMs: 10_000 });
  return status;
}

const codes = (status: GeoNodeStatus | undefined): string[] => (status?.healthIssues ?? []).map((i) => i.code);

/** Polls `probe` until `accept` holds; returns the accepted value and how long it took. */
async function until<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = WITHIN_MS): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (accept(value)) return { value, ms: Date.now() - started };
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) {
      const logs = Object.values(apps).map((a) => `--- ${a.app}\n${a.tail(15)}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const healthy = (s: GeoNodeStatus | undefined): boolean => s?.healthy === true && s.health === 'Healthy' && s.healthStatus === 'Healthy';

describe('secondary health (real processes, shortened limits)', () => {
  it('starts healthy, on the secondary and as stored on the primary', async () => {
    const own = await until('the secondary to be healthy', secondaryStatus, healthy, 60_000);
    expect(own.value.geoNodeId).toBe(secondaryId);
    expect(own.value.eventLagSeconds).toBe(0);
    await until('the primary to store a healthy secondary status', storedOnPrimary, healthy, 30_000);
  });

  it('stopping the event consumer makes the site unhealthy naming it; starting it again restores healthy', async () => {
    await apps.eventLog.stop();
    const down = await until('event_consumer_silent', secondaryStatus, (s) => codes(s).includes('event_consumer_silent'));
    expect(down.ms).toBeLessThan(WITHIN_MS);
    expect(down.value.healthy).toBe(false);
    expect(down.value.healthStatus).toBe('Unhealthy');
    expect(down.value.health).toMatch(/Event consumer has not read the primary's event stream for \d+ seconds/);
    await until('the primary to store it', storedOnPrimary, (s) => codes(s).includes('event_consumer_silent'));

    await apps.eventLog.start();
    await until('healthy again after the event-log restarted', secondaryStatus, healthy, 60_000);
    await until('the primary to store healthy again', storedOnPrimary, healthy, 30_000);
  });

  it('stopping the site\'s NATS makes it unhealthy naming NATS; starting it again restores healthy', async () => {
    await secondaryNats.stop();
    const down = await until('nats_unreachable', secondaryStatus, (s) => codes(s).includes('nats_unreachable'));
    expect(down.ms).toBeLessThan(WITHIN_MS);
    expect(down.value.health).toContain(`NATS unreachable: not connected to ${secondaryNats.url}`);
    await until('the primary to store it', storedOnPrimary, (s) => codes(s).includes('nats_unreachable'));

    await secondaryNats.start();
    await until('healthy again after NATS restarted', secondaryStatus, healthy, 60_000);
  });

  it('the primary unreachable (its status app stopped) is named after the limit; back once it answers', async () => {
    await apps.primaryStatus.stop();
    const down = await until('primary_unreachable', secondaryStatus, (s) => codes(s).includes('primary_unreachable'));
    expect(down.ms).toBeLessThan(WITHIN_MS);
    expect(down.value.health).toMatch(/Primary unreachable for \d+ seconds: no status push succeeded/);
    expect(down.value.statusFailedTotal).toBeGreaterThan(0);

    await apps.primaryStatus.start();
    await until('healthy again after the primary came back', secondaryStatus, healthy, 60_000);
  });
});
