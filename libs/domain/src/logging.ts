/**
 * The slice of a structured logger that libraries write to. pino's `Logger` satisfies it; libraries
 * take one as a parameter and never create or import a logger, so apps choose format and sink.
 */
export interface LoggerPort {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Used when a caller passes no logger: the library stays silent rather than writing to stdout. */
export const silentLogger: LoggerPort = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
