/**
 * The slice of a structured logger this adapter writes to. pino's `Logger` satisfies it; the
 * adapter never imports pino so apps choose the logger and its fields.
 */
export interface NatsLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Discards everything (for callers that pass no logger). */
export const silentNatsLogger: NatsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Loggable facts about an unknown thrown value, without its stack in the message. */
export function errorFields(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; retryable?: unknown };
  return { err: { name: e.name, message: typeof e.message === 'string' ? e.message : String(error), code: e.code, retryable: e.retryable } };
}
