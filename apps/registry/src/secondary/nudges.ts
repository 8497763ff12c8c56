import type { Subscription } from '@nats-io/transport-node';
import { errorFields, type LoggerPort } from '@geo/domain';
import { GEO_SYNC_NUDGE_SUBJECT } from '@geo/nats';

/** Wakes the sync scheduler (fire and forget: the scheduler also polls, so a lost nudge only delays). */
export interface NudgePublisher {
  nudge(): void;
}

/** What the scheduler waits on between loops. */
export interface NudgeListener {
  /**
   * Resolves after `ms`, at once when a nudge arrived since the previous call returned (it is not
   * lost while the scheduler was busy), on the next nudge, or when `signal` aborts. Never rejects.
   */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

/** The slice of a core NATS connection nudges need (`NatsConnection` satisfies it). */
export interface CoreNatsConnection {
  publish(subject: string, payload?: string | Uint8Array): void;
  subscribe(subject: string, options?: { callback?: (error: Error | null, message: unknown) => void }): Pick<Subscription, 'unsubscribe'>;
}

export interface CoreNatsNudgesOptions {
  /**
   * The SITE's own NATS connection (`NATS_URL`); undefined while it is down. Asked again on every
   * use, so a new connection object (after the link reconnected from scratch) is picked up.
   */
  readonly connection: () => CoreNatsConnection | undefined;
  readonly logger: LoggerPort;
  /** Default `GEO_SYNC_NUDGE_SUBJECT`. */
  readonly subject?: string;
}

/**
 * Scheduler nudges over core NATS (`GEO_SYNC_NUDGE_SUBJECT`, no JetStream: a nudge carries no
 * data, and missing one only means waiting for the next poll). One object both publishes (the
 * sweep, resync) and listens (the scheduler). The subscription is made lazily on the current
 * connection and made again when the connection object changes.
 */
export class CoreNatsNudges implements NudgePublisher, NudgeListener {
  private readonly subject: string;
  private subscribedOn: CoreNatsConnection | undefined;
  private subscription: Pick<Subscription, 'unsubscribe'> | undefined;
  /** A nudge arrived that no `wait` has consumed yet. */
  private pending = false;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: CoreNatsNudgesOptions) {
    this.subject = options.subject ?? GEO_SYNC_NUDGE_SUBJECT;
  }

  nudge(): void {
    const connection = this.options.connection();
    if (connection === undefined) return; // the scheduler's poll finds the rows
    try {
      connection.publish(this.subject);
    } catch (error) {
      this.options.logger.warn({ ...errorFields(error), subject: this.subject }, 'registry: scheduler nudge not sent');
    }
  }

  async wait(ms: number, signal: AbortSignal): Promise<void> {
    this.ensureSubscribed();
    if (this.pending || signal.aborted) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
    this.pending = false;
  }

  /** Drops the subscription (call on shutdown, before the connection closes). */
  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.subscribedOn = undefined;
  }

  private received(): void {
    this.pending = true;
    for (const wake of [...this.waiters]) wake();
  }

  private ensureSubscribed(): void {
    const connection = this.options.connection();
    if (connection === undefined || connection === this.subscribedOn) return;
    try {
      this.subscription?.unsubscribe();
    } catch (error) {
      // The old connection is gone; its subscription went with it.
      this.options.logger.info({ ...errorFields(error) }, 'registry: dropping the nudge subscription of a closed connection failed');
    }
    try {
      this.subscription = connection.subscribe(this.subject, { callback: () => this.received() });
      this.subscribedOn = connection;
    } catch (error) {
      this.subscription = undefined;
      this.subscribedOn = undefined;
      this.options.logger.warn({ ...errorFields(error), subject: this.subject }, 'registry: cannot subscribe to scheduler nudges; polling only');
    }
  }
}
