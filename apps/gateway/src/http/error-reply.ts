import { ErrorCodes, httpStatusFor, isGeoError, type ErrorCode } from '@geo/domain';

/** The JSON body of every error the gateway answers: GitLab's `message`, plus our stable code. */
export interface ErrorBody {
  readonly message: string;
  readonly code: ErrorCode;
  /** Per-field validation messages (GitLab's `{"message": {"field": ["…"]}}` shape, kept beside `message`). */
  readonly errors?: Readonly<Record<string, readonly string[]>>;
}

/** What to answer for a failed request, and how loudly to log it. */
export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorBody;
  /** `error` for bugs and outages (5xx), `info` for the caller's mistakes (4xx). */
  readonly logLevel: 'error' | 'info';
}

/** The only message a client sees for an unexpected failure; the real one goes to the log. */
export const INTERNAL_ERROR_MESSAGE = '500 Internal Server Error';

/**
 * Codes for errors raised by fastify itself or its plugins (malformed JSON, a body over
 * `bodyLimit`, a multipart limit), which carry an HTTP `statusCode` but no `GEO_*` code.
 */
const CODE_BY_HTTP_STATUS: Readonly<Record<number, ErrorCode>> = {
  401: ErrorCodes.UNAUTHENTICATED,
  403: ErrorCodes.PERMISSION_DENIED,
  404: ErrorCodes.NOT_FOUND,
  409: ErrorCodes.CONFLICT,
  413: ErrorCodes.TOO_LARGE,
};

function frameworkStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const status: unknown = (error as Error & { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function fieldErrors(details: Readonly<Record<string, unknown>>): Record<string, readonly string[]> | undefined {
  const value = details['fieldErrors'];
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value).filter((entry): entry is [string, string[]] => Array.isArray(entry[1]));
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * The one boundary from anything a route threw to an HTTP answer. Status comes from
 * `HTTP_STATUS_BY_ERROR_CODE` (through `httpStatusFor`); GeoErrors keep their message (written for
 * callers) unless INTERNAL; framework 4xx errors keep their status; everything else is a 500 whose
 * details stay in the log.
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (isGeoError(error)) {
    const status = httpStatusFor(error.code);
    const internal = error.code === ErrorCodes.INTERNAL;
    const errors = fieldErrors(error.details);
    return {
      status,
      body: { message: internal ? INTERNAL_ERROR_MESSAGE : error.message, code: error.code, ...(errors === undefined ? {} : { errors }) },
      logLevel: status >= 500 ? 'error' : 'info',
    };
  }
  const status = frameworkStatus(error);
  if (status !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    return { status, body: { message, code: CODE_BY_HTTP_STATUS[status] ?? ErrorCodes.INVALID_ARGUMENT }, logLevel: 'info' };
  }
  return { status: 500, body: { message: INTERNAL_ERROR_MESSAGE, code: ErrorCodes.INTERNAL }, logLevel: 'error' };
}
