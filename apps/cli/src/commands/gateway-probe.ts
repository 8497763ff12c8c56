import { errorMessage } from '@geo/domain';
import { gatewayBase, requestGateway } from './gateway-request';
import type { GatewayConnection } from './sites-flags';

/**
 * One HTTP answer as `geo check` judges it: whatever the status (a 401 or a 503 is a finding, not an
 * error), with the gateway's `Date` header and when this machine sent and received it (for the
 * clock check). `reached: false` when no HTTP answer came at all.
 */
export type ProbeReply =
  | {
      readonly reached: true;
      readonly status: number;
      readonly text: string;
      readonly json: unknown;
      /** The `Date` header in epoch ms (whole seconds), null when absent or malformed. */
      readonly date: number | null;
      readonly sentAt: number;
      readonly receivedAt: number;
    }
  | { readonly reached: false; readonly reason: string };

/** Everything `geo check` asks one gateway, answered or not. */
export interface GatewayFacts {
  readonly baseUrl: string;
  /** `GET /-/health` (no token). */
  readonly health: ProbeReply;
  /** `GET /-/readiness` (no token). */
  readonly readiness: ProbeReply;
  /** `GET /api/v4/geo_sites/status`, every page (their arrays concatenated), with the admin token. */
  readonly statuses: ProbeReply;
  /** `GET /api/v4/geo_sites` with the admin token: only a primary's gateway serves it (404 elsewhere). */
  readonly sites: ProbeReply;
}

export interface ProbeOptions {
  readonly fetch?: typeof fetch;
  /** Epoch ms; injected so tests can put this machine's clock anywhere. */
  readonly clock?: () => number;
  readonly timeoutMs?: number;
}

/** GitLab's largest page, as `SitesApi.statuses` reads them. */
const PAGE_SIZE = 100;

/**
 * Reads one gateway's answers for `geo check`. Never throws for what the gateway answers: the
 * verdicts judge it. When `/-/health` gets no answer the rest is not asked (it would only time out
 * again) and carries the same reason.
 */
export async function probeGateway(connection: GatewayConnection, options: ProbeOptions = {}): Promise<GatewayFacts> {
  const clock = options.clock ?? Date.now;
  const base = gatewayBase(connection);
  const requestOptions = { ...connection, ...(options.fetch === undefined ? {} : { fetch: options.fetch }), timeoutMs: options.timeoutMs ?? 10_000 };

  async function get(path: string, withToken: boolean): Promise<ProbeReply> {
    const sentAt = clock();
    try {
      const { response, text, json } = await requestGateway(requestOptions, { method: 'GET', path, anonymous: !withToken });
      const dateHeader = response.headers.get('date');
      const date = dateHeader === null ? NaN : Date.parse(dateHeader);
      return { reached: true, status: response.status, text, json, date: Number.isNaN(date) ? null : date, sentAt, receivedAt: clock() };
    } catch (error: unknown) {
      return { reached: false, reason: errorMessage(error) };
    }
  }

  async function allStatuses(): Promise<ProbeReply> {
    const first = await get(`/api/v4/geo_sites/status?per_page=${PAGE_SIZE}&page=1`, true);
    if (!first.reached || first.status !== 200 || !Array.isArray(first.json)) return first;
    const all: unknown[] = [...(first.json as unknown[])];
    for (let page = 2, last = first.json.length; last === PAGE_SIZE; page += 1) {
      const next = await get(`/api/v4/geo_sites/status?per_page=${PAGE_SIZE}&page=${page}`, true);
      if (!next.reached || next.status !== 200 || !Array.isArray(next.json)) return next;
      all.push(...(next.json as unknown[]));
      last = next.json.length;
    }
    return { ...first, json: all, text: JSON.stringify(all) };
  }

  const health = await get('/-/health', false);
  if (!health.reached) return { baseUrl: base, health, readiness: health, statuses: health, sites: health };
  const [readiness, statuses, sites] = await Promise.all([get('/-/readiness', false), allStatuses(), get('/api/v4/geo_sites', true)]);
  return { baseUrl: base, health, readiness, statuses, sites };
}
