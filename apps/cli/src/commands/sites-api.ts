import { ErrorCodes, GeoError, UnavailableError, type ErrorCode } from '@geo/domain';

/** A site as the gateway's `/api/v4/geo_sites` answers it (the fields the CLI shows). */
export interface SiteJson {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly internal_url: string;
  readonly primary: boolean;
  readonly enabled: boolean;
  readonly current: boolean;
  readonly selective_sync_type: string | null;
  readonly selective_sync_namespace_ids: readonly number[];
  readonly selective_sync_shards: readonly string[];
  readonly [field: string]: unknown;
}

/** The creation answer: a secondary's credentials appear here and nowhere else. */
export interface CreatedSiteJson extends SiteJson {
  readonly access_key?: string;
  readonly secret_access_key?: string;
}

export interface SitesApiOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/**
 * The gateway's sites admin REST API. Failures come back as the GeoError the gateway answered
 * (same code and message), or UNAVAILABLE when the gateway cannot be reached.
 */
export class SitesApi {
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: SitesApiOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  list(): Promise<SiteJson[]> {
    return this.request<SiteJson[]>('GET', '/api/v4/geo_sites');
  }

  create(body: Readonly<Record<string, unknown>>): Promise<CreatedSiteJson> {
    return this.request<CreatedSiteJson>('POST', '/api/v4/geo_sites', body);
  }

  update(id: number, body: Readonly<Record<string, unknown>>): Promise<SiteJson> {
    return this.request<SiteJson>('PUT', `/api/v4/geo_sites/${id}`, body);
  }

  async remove(id: number): Promise<void> {
    await this.request<undefined>('DELETE', `/api/v4/geo_sites/${id}`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.base}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: { 'private-token': this.options.adminToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error: unknown) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new UnavailableError(`cannot reach the gateway at ${this.base}: ${reason}`, { cause: error });
    }
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) throw gatewayError(response.status, json, text);
    return json as T;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The gateway's `{"message", "code"}` error as a GeoError; anything else (a proxy's page) as UNAVAILABLE/INTERNAL. */
function gatewayError(status: number, json: unknown, text: string): GeoError {
  const body = typeof json === 'object' && json !== null ? (json as { message?: unknown; code?: unknown }) : {};
  const message = typeof body.message === 'string' ? body.message : `HTTP ${status}: ${text.slice(0, 200)}`;
  const code: ErrorCode =
    typeof body.code === 'string' && KNOWN_CODES.has(body.code) ? (body.code as ErrorCode) : status >= 500 ? ErrorCodes.UNAVAILABLE : ErrorCodes.INTERNAL;
  return new GeoError(code, message, { details: { status } });
}
