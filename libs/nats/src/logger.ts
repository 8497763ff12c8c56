/** Loggable facts about an unknown thrown value, without its stack in the message. */
export function errorFields(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; retryable?: unknown };
  return { err: { name: e.name, message: typeof e.message === 'string' ? e.message : String(error), code: e.code, retryable: e.retryable } };
}
