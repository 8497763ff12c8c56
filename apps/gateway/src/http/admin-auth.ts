import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCodes, GeoError, UnauthenticatedError } from '@geo/domain';
import type { FastifyRequest } from 'fastify';

/** GitLab's body for a missing or wrong token. */
export const UNAUTHORIZED_MESSAGE = '401 Unauthorized';
/** GitLab's body when a valid token lacks the admin right. */
export const FORBIDDEN_MESSAGE = '403 Forbidden';

/**
 * The tokens this gateway knows: the admin token (`GEO_ADMIN_TOKEN`) and valid tokens of users
 * without admin rights (`GEO_NON_ADMIN_TOKENS`), so admin-only APIs can tell 401 from 403 as GitLab does.
 */
export interface AdminTokens {
  readonly admin: string;
  readonly nonAdmin: readonly string[];
}

/** Who a request is: `admin`, a known `user` without admin rights, or `anonymous` (no token, or an unknown one). */
export type TokenRole = 'admin' | 'user' | 'anonymous';

/** The token a request presents: `PRIVATE-TOKEN: <t>` or `Authorization: Bearer <t>` (GitLab's two forms). */
export function presentedAdminToken(headers: IncomingHttpHeaders): string | undefined {
  const privateToken = headers['private-token'];
  if (typeof privateToken === 'string' && privateToken !== '') return privateToken;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Constant-time comparison. Both sides are hashed first so the compared buffers always have the
 * same length: neither the token's content nor its length leaks through timing.
 */
export function adminTokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The role of the token `headers` present. Every comparison is constant-time. */
export function tokenRole(headers: IncomingHttpHeaders, tokens: AdminTokens): TokenRole {
  const presented = presentedAdminToken(headers);
  if (adminTokenMatches(presented, tokens.admin)) return 'admin';
  // Compare with every token (no early exit) so timing does not tell how many are configured before a match.
  const known = tokens.nonAdmin.reduce((found, token) => adminTokenMatches(presented, token) || found, false);
  return known ? 'user' : 'anonymous';
}

/**
 * An `onRequest` hook admitting only the admin (before any body is read): 401 for no token or an
 * unknown one, 403 for a known token without the admin right.
 */
export function requireAdminToken(tokens: AdminTokens) {
  return async (request: FastifyRequest): Promise<void> => {
    const role = tokenRole(request.headers, tokens);
    if (role === 'user') throw new GeoError(ErrorCodes.PERMISSION_DENIED, FORBIDDEN_MESSAGE);
    if (role === 'anonymous') throw new UnauthenticatedError(UNAUTHORIZED_MESSAGE);
  };
}
