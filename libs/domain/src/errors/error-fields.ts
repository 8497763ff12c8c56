import { isGeoError } from './geo-error';

/** Loggable facts about a thrown value: name, message, stable code and retryability, no stack. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (isGeoError(error)) return { err: { name: error.name, message: error.message, code: error.code, retryable: error.retryable } };
  if (error instanceof Error) return { err: { name: error.name, message: error.message } };
  return { err: { message: String(error) } };
}
