import { abortableSleep, errorFields, type LoggerPort } from '@geo/domain';
import { BackgroundTask, type Component } from '@geo/service-kit';

export interface ConsumerHeartbeatOptions {
  /** The log cursor (`EventConsumer`): its durable name and whether it is reading right now. */
  readonly consumer: { readonly consumerName: string; isReading(): boolean };
  /** Where beats go (`PgEventLogHeartbeatRepository` on the tracking database). */
  readonly store: { record(consumerName: string): Promise<void> };
  /** `GEO_EVENT_LOG_HEARTBEAT_INTERVAL_SECONDS` in ms. */
  readonly intervalMs: number;
  readonly logger: LoggerPort;
}

/**
 * Records in the tracking database, every interval, that the log cursor is reading the primary's
 * stream (ADR 0007). The status app calls the consumer silent (`event_consumer_silent`) when the
 * newest beat is too old: the process stopped, or it cannot reach the primary's NATS. A pull request
 * can wait up to 30 s on an idle stream, so the beat follows the consumer's state, not its pulls.
 * A failed write is logged (once per outage) and retried next interval.
 */
export class ConsumerHeartbeat implements Component {
  readonly name = 'event-log-heartbeat';
  private readonly task = new BackgroundTask('event-log heartbeat', (signal) => this.run(signal));

  constructor(private readonly options: ConsumerHeartbeatOptions) {}

  async start(): Promise<void> {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { consumer, store, logger } = this.options;
    let failing = false;
    while (!signal.aborted) {
      if (consumer.isReading()) {
        try {
          await store.record(consumer.consumerName);
          if (failing) logger.info({}, 'event-log heartbeat: recording again');
          failing = false;
        } catch (error) {
          if (!failing) logger.warn(errorFields(error), 'event-log heartbeat: cannot record the heartbeat; retrying');
          failing = true;
        }
      }
      await abortableSleep(this.options.intervalMs, signal);
    }
  }
}
