import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthenticatedError } from '@geo/domain';
import type { FastifyRequest } from 'fastify';

/** GitLab's body for a missing or wrong token. */
export const UNAUTHORIZED_MESSAGE = '401 Unauthorized';

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

/** An `onRequest` hook admitting only requests with the admin token (before any body is read). */
export function requireAdminToken(expected: string) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!adminTokenMatches(presentedAdminToken(request.headers), expected)) throw new UnauthenticatedError(UNAUTHORIZED_MESSAGE);
  };
}
