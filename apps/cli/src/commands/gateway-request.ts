import { ErrorCodes, GeoError, UnavailableError, type ErrorCode } from '@geo/domain';

/** Where and as whom the CLI talks to a gateway. */
export interface GatewayRequestOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** What the gateway answered: the response (status, headers), its text, and the text as JSON when it is JSON. */
export interface GatewayAnswer {
  readonly response: Response;
  readonly text: string;
  readonly json: unknown;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/** One of our stable error codes, or undefined. */
export function knownErrorCode(value: unknown): ErrorCode | undefined {
  return typeof value === 'string' && KNOWN_CODES.has(value) ? (value as ErrorCode) : undefined;
}

/** The gateway's base URL without trailing slashes. */
export function gatewayBase(options: Pick<GatewayRequestOptions, 'baseUrl'>): string {
  return options.baseUrl.replace(/\/+$/, '');
}

/** One request: `body` is sent as JSON; `anonymous` leaves the admin token out (health endpoints). */
export interface GatewayRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly anonymous?: boolean;
}

/**
 * One request to the gateway, with the admin token (`PRIVATE-TOKEN`, as GitLab's API takes it)
 * unless `anonymous`. Any HTTP answer comes back (the caller judges the status); a gateway that
 * cannot be reached, or does not answer within the timeout (default 30 s), is UNAVAILABLE.
 */
export async function requestGateway(options: GatewayRequestOptions, request: GatewayRequest): Promise<GatewayAnswer> {
  const base = gatewayBase(options);
  const { body } = request;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(`${base}${request.path}`, {
      method: request.method,
      headers: {
        ...(request.anonymous === true ? {} : { 'private-token': options.adminToken }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error: unknown) {
    // fetch wraps the socket error (ECONNREFUSED, ENOTFOUND) as its cause; a timeout is the error itself.
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    throw new UnavailableError(`cannot reach the gateway at ${base}: ${reason}`, { cause: error });
  }
  const text = await response.text();
  return { response, text, json: parseJson(text) };
}

export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The gateway's `{"message", "code"}` error as a GeoError; anything else (a proxy's page) as UNAVAILABLE/INTERNAL. */
export function gatewayError(status: number, json: unknown, text: string): GeoError {
  const body = typeof json === 'object' && json !== null ? (json as { message?: unknown; code?: unknown }) : {};
  const message = typeof body.message === 'string' ? body.message : `HTTP ${status}: ${text.slice(0, 200)}`;
  const code: ErrorCode = knownErrorCode(body.code) ?? (status >= 500 ? ErrorCodes.UNAVAILABLE : ErrorCodes.INTERNAL);
  return new GeoError(code, message, { details: { status } });
}
