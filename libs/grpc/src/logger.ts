/**
 * The slice of a pino logger this lib uses. Adapters take it as a parameter (never create one), so
 * apps decide formatting and destinations; tests pass a recording stub or nothing.
 */
export interface GrpcLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Used when the caller passes no logger: the lib stays silent rather than writing to stdout. */
export const silentLogger: GrpcLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
