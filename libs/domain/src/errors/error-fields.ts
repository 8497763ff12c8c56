import { isGeoError } from './geo-error';

/** Loggable facts about a thrown value: name, message, stable code and retryability, no stack. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (isGeoError(error)) return { err: { name: error.name, message: error.message, code: error.code, retryable: error.retryable } };
  if (error instanceof Error) return { err: { name: error.name, message: error.message } };
  return { err: { message: String(error) } };
}

/**
 * The message of a thrown value. Duck-typed, not `instanceof Error`: errors made in another realm
 * (Node's internals seen from a jest sandbox, a worker) are Errors all the same.
 */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
