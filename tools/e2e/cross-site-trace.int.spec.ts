/**
 * One trace across both sites (issue 6): a real .snupkg pushed to the primary's gateway is ONE
 * trace, from the gateway's HTTP server span through nuget, PostgreSQL and the outbox relay's NATS
 * publish on the primary, to the secondary's event consume, sync job, the retrieve (HTTP client
 * span on the secondary, server span on the primary) and the checksum of the downloaded blob.
 * Every app of both sites runs as a real process and exports over OTLP/gRPC to a tiny receiver
 * (Jaeger's stand-in, TOOLCHAIN §6); the test walks the received spans' parent ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStream, GEO_EVENTS_STREAM, geoEventsStream } from '@geo/nats';
import { OtlpSpanKind, readFixture, startOtlpReceiver, type OtlpReceiver, type OtlpSpanKindValue, type ReceivedSpan } from '@geo/testing';
import { startTwoSites, type TwoSites } from '../dev/lib/two-sites';

jest.setTimeout(300_000);

const SYNCED = 2;
const PUSH_SPAN = 'PUT /api/v4/projects/:id/packages/nuget/symbolpackage';
const RETRIEVE_SERVER_SPAN = 'GET /api/v4/geo/retrieve/:replicable_name/:replicable_id';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, detail: () => string | Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${await detail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What a span on the chain must be: its process (service, site), kind and name. */
interface Expected {
  readonly service: string;
  readonly site: 'primary' | 'secondary';
  readonly kind: OtlpSpanKindValue;
  readonly name: string | RegExp;
}

function describeSpan(s: ReceivedSpan | undefined): string {
  return s === undefined ? '(missing)' : `${s.resource['geo.site.name']}/${s.service} kind=${s.kind} "${s.name}" ${s.spanId} <- ${s.parentSpanId || '(root)'}`;
}

describe('one trace across both sites', () => {
  let receiver: OtlpReceiver;
  let sites: TwoSites;
  const work = mkdtempSync(join(tmpdir(), 'geo-cross-site-trace-'));
  const siteNames = { primary: 'e2e_trace-primary', secondary: 'e2e_trace-secondary' };

  beforeAll(async () => {
    receiver = await startOtlpReceiver({ file: join(work, 'spans.jsonl') });
    // A short export schedule (the SDK's BatchSpanProcessor reads OTEL_BSP_SCHEDULE_DELAY) so spans
    // arrive while the test waits; production keeps the 5 s default.
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' };
    // The consistency sweep stays idle after its first (empty) pass, so the registry row is the
    // event consumer's, as in production where events arrive within a second of the push.
    sites = await startTwoSites({ label: 'e2e_trace', primaryEnv: tracing, secondaryEnv: { ...tracing, GEO_REGISTRY_SWEEP_INTERVAL_SECONDS: '3600' } });
    // The primary's relay creates GEO_EVENTS on its first publish, and a new secondary's durable
    // starts at the events after its creation (GitLab's log cursor; the sweep backfills the rest).
    // Create the stream as the relay would (same preset) and wait for the secondary's durable, so
    // the push's `created` event reaches the event consumer instead of the sweep.
    const nc = await connect({ servers: sites.primary.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, geoEventsStream());
      await waitFor(
        'the secondary’s durable consumer on GEO_EVENTS',
        () => jsm.consumers.info(GEO_EVENTS_STREAM, `geo-${siteNames.secondary}`).then(() => true, () => undefined),
        60_000,
        () => sites.secondary.site?.logTail('event-log') ?? '',
      );
    } finally {
      await nc.close();
    }
  });
  afterAll(async () => {
    await sites?.stop();
    await receiver?.close();
    // GEO_KEEP_SITE_LOGS=1 keeps the received spans too.
    if (process.env['GEO_KEEP_SITE_LOGS'] === '1') console.error(`cross-site-trace: spans in ${work}/spans.jsonl`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('a .snupkg push is one trace from the gateway down to the secondary’s checksum, with the expected parents', async () => {
    const ns = await sites.admin<{ id: number }>('POST', '/namespaces', { name: 'traced', path: 'traced' });
    const project = await sites.admin<{ id: number; nuget_api_key: string }>('POST', '/projects', { name: 'Symbols', path: 'symbols', namespace_id: ns.id });
    const put = (suffix: string, file: string): Promise<Response> => {
      const form = new FormData();
      form.append('package', new Blob([readFixture(file)]), file.split('/').pop());
      return fetch(`${sites.primary.url}/api/v4/projects/${project.id}/packages/nuget/${suffix}`, { method: 'PUT', headers: { 'X-NuGet-ApiKey': project.nuget_api_key }, body: form });
    };
    expect((await put('', 'baget/TestData.1.2.3.nupkg')).status).toBe(201);
    expect((await put('symbolpackage', 'baget/TestData.1.2.3.snupkg')).status).toBe(201);

    const symbolIds = (await sites.primary.pg.query<{ id: string }>('SELECT id FROM packages_nuget_symbols WHERE project_id = $1 ORDER BY id', [project.id])).rows.map((r) =>
      Number(r.id),
    );
    expect(symbolIds.length).toBeGreaterThan(0);
    const logs = async (): Promise<string> => {
      const events = await sites.primary.pg.query('SELECT id, event_name, relayed_at, trace_context FROM geo_events ORDER BY id');
      const registry = await sites.secondary.pg.query('SELECT * FROM packages_nuget_symbol_registry');
      return [
        `primary geo_events: ${JSON.stringify(events.rows)}`,
        `secondary registry: ${JSON.stringify(registry.rows)}`,
        ...(['event-log', 'registry', 'blob-transfer'] as const).map((a) => `--- secondary ${a}\n${sites.secondary.site?.logTail(a) ?? ''}`),
      ].join('\n');
    };
    await waitFor(
      'the secondary to sync the pushed symbols',
      async () => {
        const rows = await sites.secondary.pg.query<{ state: number }>('SELECT state FROM packages_nuget_symbol_registry WHERE packages_nuget_symbol_id = ANY($1::bigint[])', [symbolIds]);
        return rows.rows.length === symbolIds.length && rows.rows.every((r) => r.state === SYNCED) ? true : undefined;
      },
      // Generous: the machine is shared, and a loaded one starts 14 processes slowly.
      120_000,
      logs,
    );

    const pushSpan = (): ReceivedSpan | undefined =>
      receiver.spans().find((s) => s.name === PUSH_SPAN && s.kind === OtlpSpanKind.SERVER && s.resource['geo.site.name'] === siteNames.primary);
    const traced = (): ReceivedSpan[] => {
      const push = pushSpan();
      return push === undefined ? [] : receiver.spans().filter((s) => s.traceId === push.traceId);
    };
    // Every symbol's download ends in a checksum span of the push's trace (spans arrive in batches).
    const checksums = await waitFor(
      'the checksum spans of every synced symbol in the push trace',
      () => {
        const found = traced().filter((s) => s.name === 'geo.blob.checksum');
        const ids = new Set(found.map((s) => s.attributes['geo.model_record_id']));
        const retrieves = traced().filter((s) => s.name === RETRIEVE_SERVER_SPAN).length;
        return symbolIds.every((id) => ids.has(id)) && retrieves >= symbolIds.length ? found : undefined;
      },
      30_000,
      () => `spans of the push trace (of ${receiver.spans().length} received):\n${traced().map(describeSpan).join('\n')}`,
    );

    const push = pushSpan()!;
    const byId = new Map(traced().map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan): ReceivedSpan | undefined => byId.get(s.parentSpanId);
    const site = (s: ReceivedSpan): string => String(s.resource['geo.site.name']);
    const matches = (s: ReceivedSpan | undefined, e: Expected): boolean =>
      s !== undefined &&
      s.service === e.service &&
      site(s) === siteNames[e.site] &&
      s.kind === e.kind &&
      (typeof e.name === 'string' ? s.name === e.name : e.name.test(s.name));

    // From the checksum up to the push: each span's parent is the next entry, across five processes
    // on the secondary and the primary, gRPC metadata, two NATS hops and the outbox in between.
    const chain: Expected[] = [
      { service: 'geo-blob-transfer', site: 'secondary', kind: OtlpSpanKind.INTERNAL, name: 'geo.blob.checksum' },
      { service: 'geo-blob-transfer', site: 'secondary', kind: OtlpSpanKind.CONSUMER, name: 'geo.sync.job' },
      { service: 'geo-registry', site: 'secondary', kind: OtlpSpanKind.PRODUCER, name: 'publish geo.v1.jobs.sync.packages_nuget_symbol' },
      { service: 'geo-event-log', site: 'secondary', kind: OtlpSpanKind.CONSUMER, name: 'geo.event.consume' },
      { service: 'geo-event-log', site: 'primary', kind: OtlpSpanKind.PRODUCER, name: 'publish geo.v1.events.packages_nuget_symbol.created' },
      { service: 'geo-nuget', site: 'primary', kind: OtlpSpanKind.INTERNAL, name: 'nuget.push_package' },
      { service: 'geo-nuget', site: 'primary', kind: OtlpSpanKind.SERVER, name: /^grpc\.geo\.v1\.\w+\/\w+$/ },
      { service: 'geo-gateway', site: 'primary', kind: OtlpSpanKind.CLIENT, name: /^grpc\.geo\.v1\.\w+\/\w+$/ },
      { service: 'geo-gateway', site: 'primary', kind: OtlpSpanKind.SERVER, name: PUSH_SPAN },
    ];
    for (const checksum of checksums) {
      const path: ReceivedSpan[] = [];
      for (let s: ReceivedSpan | undefined = checksum; s !== undefined; s = parentOf(s)) path.push(s);
      const shown = path.map(describeSpan).join('\n');
      expect({ length: path.length, path: shown }).toEqual({ length: chain.length, path: shown });
      chain.forEach((e, i) => expect({ at: i, ok: matches(path[i], e), span: describeSpan(path[i]) }).toEqual({ at: i, ok: true, span: describeSpan(path[i]) }));
      expect(path.at(-1)).toBe(push);
      expect(new Set(path.map((s) => s.traceId))).toEqual(new Set([push.traceId]));
      expect(checksum.statusCode).not.toBe(2);

      // The retrieve of the same job: HTTP client span on the secondary, server span on the primary as its child.
      const job = path[1]!;
      const retrieves = traced().filter((s) => s.parentSpanId === job.spanId && s.name === 'geo.blob.retrieve');
      expect(retrieves.map((s) => [s.kind, site(s), s.attributes['http.response.status_code']])).toEqual([[OtlpSpanKind.CLIENT, siteNames.secondary, 200]]);
      const served = traced().filter((s) => s.parentSpanId === retrieves[0]!.spanId);
      expect(served.map((s) => [s.name, s.kind, s.service, site(s), s.attributes['http.response.status_code']])).toEqual([
        [RETRIEVE_SERVER_SPAN, OtlpSpanKind.SERVER, 'geo-blob-transfer', siteNames.primary, 200],
      ]);
    }

    // PostgreSQL on the primary's ingest path is in the same trace, under nuget's push span.
    const pushPackage = checksums.map((c) => {
      let s: ReceivedSpan | undefined = c;
      while (s !== undefined && s.name !== 'nuget.push_package') s = parentOf(s);
      return s!;
    })[0]!;
    const sql = traced().filter((s) => s.service === 'geo-nuget' && s.kind === OtlpSpanKind.CLIENT && s.name.startsWith('pg.'));
    expect(sql.length).toBeGreaterThan(0);
    const descendsFrom = (s: ReceivedSpan, ancestor: ReceivedSpan): boolean => {
      for (let p = parentOf(s); p !== undefined; p = parentOf(p)) if (p === ancestor) return true;
      return false;
    };
    expect(sql.some((s) => descendsFrom(s, pushPackage))).toBe(true);
  });
});
