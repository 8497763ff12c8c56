import { ErrorCodes, GeoError } from '@geo/domain';
import { gatewayError, knownErrorCode, requestGateway, type GatewayRequestOptions } from './gateway-request';

export type GraphqlApiOptions = GatewayRequestOptions;

/** A GraphQL error as the spec shapes it; `extensions.code` may carry one of our stable codes. */
interface GraphqlErrorJson {
  readonly message?: unknown;
  readonly extensions?: { readonly code?: unknown };
}

/**
 * The gateway's GraphQL endpoint (`POST /api/graphql`, GitLab's API), with the admin token as the
 * REST calls send it. A request GraphQL refused as a whole (top-level `errors`, no data) comes back
 * as a GeoError: the code the gateway put in `extensions.code` when it is one of ours, else INTERNAL
 * (a document this CLI sends that the schema rejects is a bug here). Mutation-level `errors` are
 * data, left to the caller.
 */
export class GraphqlApi {
  constructor(private readonly options: GraphqlApiOptions) {}

  async request<T>(query: string, variables: Readonly<Record<string, unknown>> = {}): Promise<T> {
    return (await this.answer<T>(query, variables)).data;
  }

  /**
   * The data and the gateway's `Date` header (epoch ms, whole seconds; null when absent): a bulk
   * action waits for a status computed after that moment.
   */
  async answer<T>(query: string, variables: Readonly<Record<string, unknown>> = {}): Promise<{ data: T; date: number | null }> {
    const { response, text, json } = await requestGateway(this.options, { method: 'POST', path: '/api/graphql', body: { query, variables } });
    const body = typeof json === 'object' && json !== null ? (json as { data?: unknown; errors?: unknown }) : undefined;
    const errors = Array.isArray(body?.errors) ? (body.errors as GraphqlErrorJson[]) : [];
    // GraphQL over HTTP may answer a refused request with 4xx and a GraphQL body: its errors say more than the status.
    if (errors.length > 0 && (body?.data === undefined || body.data === null)) throw graphqlError(errors, response.status);
    if (!response.ok) throw gatewayError(response.status, json, text);
    if (body === undefined || typeof body.data !== 'object' || body.data === null) {
      throw new GeoError(ErrorCodes.INTERNAL, `the gateway's GraphQL answer has no data: ${text.slice(0, 200)}`);
    }
    if (errors.length > 0) throw graphqlError(errors, response.status);
    const date = Date.parse(response.headers.get('date') ?? '');
    return { data: body.data as T, date: Number.isNaN(date) ? null : date };
  }
}

/**
 * GitLab's `raise_resource_not_available_error!` text (a public contract of its API): what a
 * mutation answers for a registry that does not exist and for a caller without admin rights alike.
 */
export const RESOURCE_NOT_AVAILABLE_MESSAGE = "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

function graphqlError(errors: readonly GraphqlErrorJson[], status: number): GeoError {
  const messages = errors.map((e) => (typeof e.message === 'string' ? e.message : JSON.stringify(e)));
  const code = errors.map((e) => knownErrorCode(e.extensions?.code)).find((c) => c !== undefined);
  if (code !== undefined) return new GeoError(code, messages.join('; '), { details: { status } });
  if (messages.includes(RESOURCE_NOT_AVAILABLE_MESSAGE)) {
    return new GeoError(ErrorCodes.NOT_FOUND, `${messages.join('; ')} (no such registry on this site: registries live on secondaries; or the token is not an admin's)`, { details: { status } });
  }
  return new GeoError(ErrorCodes.INTERNAL, messages.join('; '), { details: { status } });
}
