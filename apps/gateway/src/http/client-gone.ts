import { UnavailableError } from '@geo/domain';
import type { FastifyReply } from 'fastify';

/**
 * Aborts when the client's connection closes before the response finished (a cancelled upload or
 * download). Passed to the gRPC call behind the request so the nuget app stops at once: for a push it
 * sees a cancelled stream and writes nothing.
 */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  if (response.destroyed && !response.writableFinished) controller.abort(new UnavailableError('the client closed the connection'));
  response.once('close', () => {
    if (!response.writableFinished) controller.abort(new UnavailableError('the client closed the connection'));
  });
  return controller.signal;
}
