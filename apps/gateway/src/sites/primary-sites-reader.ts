import { ErrorCodes, errorFields, GeoError, NotFoundError, UnauthenticatedError, UnavailableError } from '@geo/domain';
import type { FastifyBaseLogger } from 'fastify';
import { FORBIDDEN_MESSAGE, UNAUTHORIZED_MESSAGE } from '../http/admin-auth';
import type { GeoSiteJson, SitesApiPath } from './site-json';

/** How long a secondary waits for the primary's sites answer before answering 503. */
export const PRIMARY_SITES_TIMEOUT_MS = 5_000;

/** The caller's own credentials, forwarded as given (GitLab's sites share one user database). */
export interface ForwardedAuth {
  readonly privateToken?: string;
  readonly authorization?: string;
}

/** Where a secondary reads `geo_sites` from: the primary gateway's same REST endpoint. */
export interface SitesSource {
  list(apiPath: SitesApiPath, auth: ForwardedAuth): Promise<GeoSiteJson[]>;
  get(apiPath: SitesApiPath, id: number, auth: ForwardedAuth): Promise<GeoSiteJson>;
}

function messageOf(body: unknown, fallback: string): string {
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return fallback;
}

/**
 * A secondary's gateway reading the sites list from the primary's gateway (a GitLab secondary reads
 * its replicated copy of the same table). The primary's 401/403/404 become the same typed errors so
 * the caller sees what the primary said; anything else it answers, an unreachable primary or a
 * timeout is a 503 (UnavailableError).
 */
export class PrimarySitesReader implements SitesSource {
  constructor(
    private readonly primaryHttpUrl: string,
    private readonly logger: FastifyBaseLogger,
    private readonly timeoutMs: number = PRIMARY_SITES_TIMEOUT_MS,
  ) {}

  async list(apiPath: SitesApiPath, auth: ForwardedAuth): Promise<GeoSiteJson[]> {
    const body = await this.read(apiPath, auth);
    if (!Array.isArray(body)) throw this.unexpected(apiPath, 'not a JSON array');
    return body as GeoSiteJson[];
  }

  async get(apiPath: SitesApiPath, id: number, auth: ForwardedAuth): Promise<GeoSiteJson> {
    const path = `${apiPath}/${id}`;
    const body = await this.read(path, auth);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw this.unexpected(path, 'not a JSON object');
    return body as GeoSiteJson;
  }

  private async read(path: string, auth: ForwardedAuth): Promise<unknown> {
    const target = new URL(path, this.primaryHttpUrl);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth.privateToken !== undefined) headers['private-token'] = auth.privateToken;
    if (auth.authorization !== undefined) headers['authorization'] = auth.authorization;
    let response: Response;
    let body: unknown;
    try {
      response = await fetch(target, { headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await response.text();
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      this.logger.warn({ ...errorFields(error), primary: target.origin }, 'geo sites: primary site unreachable');
      throw new UnavailableError('The Geo primary site is unreachable; this secondary cannot read the sites list', { cause: error });
    }
    if (response.ok) return body;
    if (response.status === 401) throw new UnauthenticatedError(messageOf(body, UNAUTHORIZED_MESSAGE));
    if (response.status === 403) throw new GeoError(ErrorCodes.PERMISSION_DENIED, messageOf(body, FORBIDDEN_MESSAGE));
    if (response.status === 404) throw new NotFoundError(messageOf(body, '404 Not found'));
    throw this.unexpected(path, `HTTP ${response.status}`);
  }

  private unexpected(path: string, reason: string): UnavailableError {
    this.logger.warn({ primary: this.primaryHttpUrl, path, reason }, 'geo sites: unexpected answer from the primary site');
    return new UnavailableError(`The Geo primary site answered the sites list unexpectedly (${reason})`, { details: { path, reason } });
  }
}
