import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import mercurius, { defaultErrorFormatter, type MercuriusContext } from 'mercurius';
import { ErrorCodes, isGeoError, UnauthenticatedError } from '@geo/domain';
import { presentedAdminToken, tokenRole, type AdminTokens } from '../http/admin-auth';
import { INTERNAL_ERROR_MESSAGE, toErrorReply } from '../http/error-reply';
import { createResolvers, type ResolverDeps } from './resolvers';

/** GitLab's endpoint. */
export const GRAPHQL_PATH = '/api/graphql';

/** GitLab's answer for a token that is presented but unknown (GraphqlController#authorize_access_api!). */
export const INVALID_TOKEN_MESSAGE = 'Invalid token';

/** The schema clients code against (loaded as is, so the file and the server cannot drift apart). */
export const SCHEMA_SDL = readFileSync(join(__dirname, 'schema.graphql'), 'utf8');

export interface GraphqlRoutesOptions extends ResolverDeps {
  readonly tokens: AdminTokens;
}

type ExecutionErrors = Parameters<typeof defaultErrorFormatter>[0];

/** Mercurius' own errors (a malformed query, failed validation): GraphQL-level, left to its formatter. */
function isMercuriusError(error: unknown): boolean {
  const code: unknown = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('MER_ERR_');
}

/**
 * A resolver's `GeoError` (the registry app unreachable, a bad page token, a refused argument)
 * goes through the gateway's one error mapping (`toErrorReply`): its stable code and HTTP status
 * become the GraphQL error's `extensions`, INTERNAL messages are hidden. Anything else a resolver
 * threw that is not a GraphQLError is a bug: logged, answered as INTERNAL.
 */
function mapExecutionError(error: GraphQLError, request: FastifyRequest | undefined): GraphQLError {
  const original = error.originalError;
  if (original === undefined || original instanceof GraphQLError || isMercuriusError(original)) return error;
  const answer = toErrorReply(original);
  if (answer.logLevel === 'error') request?.log.error({ err: original, path: error.path, code: answer.body.code }, 'graphql resolver failed');
  const known = isGeoError(original) && original.code !== ErrorCodes.INTERNAL;
  return new GraphQLError(known ? error.message : INTERNAL_ERROR_MESSAGE, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: original,
    extensions: { code: answer.body.code, status: answer.status },
  });
}

function formatErrors(execution: ExecutionErrors, context: MercuriusContext) {
  const request = context.reply?.request;
  return defaultErrorFormatter({ ...execution, errors: execution.errors.map((e) => mapExecutionError(e, request)) }, context);
}

/**
 * Errors before GraphQL runs (unreadable JSON, a body over the limit, an invalid token) take their
 * status and message from `toErrorReply`, answered in GraphQL's `{"errors": [...]}` shape as
 * GitLab's GraphqlController does (`render_error`).
 */
function handleRouteError(error: Error, request: FastifyRequest, reply: FastifyReply, context: MercuriusContext): void {
  if (isMercuriusError(error)) {
    const { statusCode, response } = formatErrors({ errors: [new GraphQLError(error.message, { originalError: error })] }, context);
    void reply.code(statusCode).send(response);
    return;
  }
  const answer = toErrorReply(error);
  if (answer.logLevel === 'error') request.log.error({ err: error, status: answer.status, code: answer.body.code }, 'request failed');
  else request.log.info({ status: answer.status, code: answer.body.code, reason: answer.body.message }, 'request rejected');
  if (!request.raw.complete) void reply.header('connection', 'close'); // as the gateway's handler: stop an unread upload
  void reply.code(answer.status).send({ errors: [{ message: answer.body.message, extensions: { code: answer.body.code } }] });
}

/**
 * `POST /api/graphql` (and GET for queries, as GitLab) with mercurius. Authentication follows
 * GitLab's GraphqlController: no token is an anonymous caller (HTTP 200; `geoNode` is null and
 * mutations answer resource-not-available, as for a non-admin user); a token that is presented but
 * unknown is HTTP 401 `{"errors":[{"message":"Invalid token"}]}`. So an anonymous or non-admin
 * caller sees no data rather than a 401/403, exactly as on GitLab.
 */
export async function graphqlRoutes(app: FastifyInstance, options: GraphqlRoutesOptions): Promise<void> {
  app.addHook('onRequest', async (request) => {
    if (tokenRole(request.headers, options.tokens) === 'anonymous' && presentedAdminToken(request.headers) !== undefined) {
      throw new UnauthenticatedError(INVALID_TOKEN_MESSAGE);
    }
  });
  await app.register(mercurius, {
    schema: SCHEMA_SDL,
    resolvers: createResolvers(options),
    path: GRAPHQL_PATH,
    graphiql: false,
    // No parsed-query LRU: its ESM-only `quick-lru` is loaded by a dynamic import jest cannot run,
    // and an admin-only endpoint gains nothing measurable from it (parsing is microseconds).
    cache: false,
    context: (request: FastifyRequest) => ({ geoRole: tokenRole(request.headers, options.tokens) }),
    errorFormatter: formatErrors,
    errorHandler: (error, request, reply) => {
      // Mercurius keeps the request's context under a private symbol; the formatter only reads
      // `reply` (for its logger), so a context with the same fields stands in for it.
      const context = { reply, app, geoRole: tokenRole(request.headers, options.tokens) } as unknown as MercuriusContext;
      handleRouteError(error, request, reply, context);
    },
  });
}
