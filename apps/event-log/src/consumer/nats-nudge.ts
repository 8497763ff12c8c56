import { errorFields, type LoggerPort } from '@geo/domain';
import { GEO_SYNC_NUDGE_SUBJECT } from '@geo/nats';

/** The slice of a core NATS connection a nudge needs (`NatsConnection` satisfies it). */
export interface CorePublisher {
  publish(subject: string, payload?: string | Uint8Array): void;
}

export interface NatsNudgeOptions {
  /** The SITE's own NATS connection (`NATS_URL`, not the primary's); undefined while it is down. */
  readonly connection: () => CorePublisher | undefined;
  readonly logger: LoggerPort;
  /** Default `GEO_SYNC_NUDGE_SUBJECT`. */
  readonly subject?: string;
}

/**
 * The consumer's `nudge` port: one empty core-NATS message on the site's nudge subject, which wakes
 * the sync scheduler at once. Fire and forget: with no connection (or a failing publish) the nudge
 * is dropped with a log line, because the scheduler also polls and the pending rows are committed.
 */
export function natsNudge(options: NatsNudgeOptions): () => void {
  const subject = options.subject ?? GEO_SYNC_NUDGE_SUBJECT;
  return () => {
    const connection = options.connection();
    if (connection === undefined) {
      options.logger.info({ subject }, 'event-log consumer: site NATS not connected; the scheduler will find the new rows by polling');
      return;
    }
    try {
      connection.publish(subject);
    } catch (error) {
      options.logger.warn({ ...errorFields(error), subject }, 'event-log consumer: nudge not sent');
    }
  };
}
