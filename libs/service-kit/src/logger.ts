import { pino, type DestinationStream, type Logger } from 'pino';
import { currentTraceIds } from '@geo/otel';

export type { Logger };

export interface CreateLoggerOptions {
  /** `service` field of every line (the OTel service name, e.g. `geo-registry`). */
  readonly service: string;
  /** `site` field of every line (`GEO_SITE_NAME`); undefined before config loaded. */
  readonly site: string | undefined;
  readonly level: string;
  /** Where lines go; defaults to stdout, written synchronously (see below). Tests pass a stream. */
  readonly destination?: DestinationStream;
}

/**
 * JSON lines (pino) with `service`, `site` and, inside a span, `trace_id`/`span_id` so logs and
 * traces join up. Stdout is written synchronously: the lifecycle runner calls `process.exit`
 * right after logging the final lines, and an async buffer would lose them.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, ...(options.site === undefined ? {} : { site: options.site }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => currentTraceIds() ?? {},
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
