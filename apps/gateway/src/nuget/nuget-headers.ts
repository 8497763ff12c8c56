import type { IncomingHttpHeaders } from 'node:http';
import { UnauthenticatedError, ValidationError } from '@geo/domain';
import { UNAUTHORIZED_MESSAGE } from '../http/admin-auth';

/** GitLab's answer when a symbol request has no usable `SymbolChecksum` header. */
export const MISSING_CHECKSUM_MESSAGE = 'Missing checksum header';

function single(value: string | string[] | undefined, joiner: string): string {
  return (Array.isArray(value) ? value.join(joiner) : (value ?? '')).trim();
}

/** The `X-NuGet-ApiKey` header, required by push and delete (nuget.org: 401 without it). */
export function nugetApiKey(headers: IncomingHttpHeaders): string {
  const key = single(headers['x-nuget-apikey'], ',');
  if (key === '') throw new UnauthenticatedError(UNAUTHORIZED_MESSAGE);
  return key;
}

/**
 * The raw `SymbolChecksum` header for the nuget app, which parses it (`SHA256:<hex>`, several joined
 * by `;`). Repeated headers are joined the same way. Missing or blank: 400 here, without a round trip.
 */
export function symbolChecksum(headers: IncomingHttpHeaders): string {
  const value = single(headers['symbolchecksum'], ';');
  if (value === '') throw new ValidationError(MISSING_CHECKSUM_MESSAGE);
  return value;
}

/** Content-Length when the client sent a valid one. */
export function declaredContentLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}
