import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { abortableSleep, DEFAULT_RETRY_DELAY, errorFields, retryDelayMs, type LoggerPort, type RetryDelayPolicy } from '@geo/domain';
import { connectNats } from './connect';

/** JetStream handles of a live connection. */
export interface JetStreamSession {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /**
   * Increases on every connect and reconnect. Server-side resources (the stream) may have been lost
   * while the link was down (a wiped or new server), so users re-ensure them when it changes.
   */
  readonly epoch: number;
}

export interface NatsLinkOptions {
  readonly servers: string | readonly string[];
  /** Client name shown by the server, `<service>@<site>`. */
  readonly name: string;
  readonly logger: LoggerPort;
  /** Backoff between attempts until the first connection; default 100 ms doubling to 5 s. */
  readonly retryDelay?: RetryDelayPolicy;
  /** Pause between the client's own reconnect attempts once connected; default 2 s. */
  readonly reconnectTimeWaitMs?: number;
  /** How long `start` waits for the first connection attempt before returning anyway; default 1 s. */
  readonly firstAttemptWaitMs?: number;
}

export const DEFAULT_FIRST_ATTEMPT_WAIT_MS = 1000;

/**
 * The event-log's NATS connection as a lifecycle component that never blocks start-up for long:
 * `start` returns after the first attempt (or 1 s) and goes on connecting in the background,
 * retrying with backoff (warn lines) until a server with JetStream answers; afterwards the client
 * reconnects by itself for ever. `session()` is undefined whenever the connection is down, so
 * callers fail fast instead of buffering messages in the client while NATS is away.
 */
/** A lifecycle component (service-kit `Component` shape: name, start, stop). */
export class NatsLink {
  readonly name = 'nats';
  private readonly retryDelay: RetryDelayPolicy;
  private current: JetStreamSession | undefined;
  private connection: NatsConnection | undefined;
  private epoch = 0;
  private controller: AbortController | undefined;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: NatsLinkOptions) {
    this.retryDelay = options.retryDelay ?? DEFAULT_RETRY_DELAY;
    retryDelayMs(1, this.retryDelay); // validates the policy up front
  }

  /** Handles for the live connection; undefined before the first connection and while reconnecting. */
  session(): JetStreamSession | undefined {
    return this.current;
  }

  /** The live connection for core NATS (publish, subscribe); undefined while `session()` is. */
  core(): NatsConnection | undefined {
    return this.current === undefined ? undefined : this.connection;
  }

  /**
   * Starts connecting and waits at most `firstAttemptWaitMs` for the first attempt, so a normal
   * start has its session ready before the relay's first pass (no spurious "not connected" line)
   * while an unreachable or slow server never holds up start-up.
   */
  async start(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    let firstAttemptDone: () => void = () => undefined;
    const firstAttempt = new Promise<void>((resolve) => {
      firstAttemptDone = resolve;
    });
    this.connecting = this.connectUntilUp(controller.signal, firstAttemptDone);
    const waited = new AbortController();
    await Promise.race([firstAttempt, abortableSleep(this.options.firstAttemptWaitMs ?? DEFAULT_FIRST_ATTEMPT_WAIT_MS, waited.signal)]);
    waited.abort(); // clears the timer when the attempt won
  }

  /** Stops connecting (an attempt in progress finishes first) and closes the connection. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.connecting;
    const connection = this.connection;
    this.connection = undefined;
    this.current = undefined;
    await connection?.close();
  }

  private async connectUntilUp(signal: AbortSignal, attempted: () => void = () => undefined): Promise<void> {
    const { logger } = this.options;
    let failures = 0;
    while (!signal.aborted) {
      let nc: NatsConnection | undefined;
      try {
        // One attempt at a time (not the client's wait-for-ever mode) so that stop() can end the loop.
        nc = await connectNats({
          servers: this.options.servers,
          name: this.options.name,
          logger,
          waitOnFirstConnect: false,
          ...(this.options.reconnectTimeWaitMs === undefined ? {} : { reconnectTimeWaitMs: this.options.reconnectTimeWaitMs }),
        });
        // Fails when the server runs without JetStream (`-js`): retried like an unreachable server.
        const jsm = await jetstreamManager(nc);
        if (signal.aborted) {
          await nc.close();
          attempted();
          return;
        }
        this.attach(nc, jsm, signal);
        attempted();
        if (failures > 0) logger.info({ failedAttempts: failures }, 'event-log: NATS reachable again');
        return;
      } catch (error) {
        if (nc !== undefined) {
          await nc.close().catch((closeError: unknown) => logger.warn(errorFields(closeError), 'event-log: closing a half-set-up NATS connection failed'));
        }
        attempted();
        if (signal.aborted) return;
        failures += 1;
        const delayMs = retryDelayMs(failures, this.retryDelay);
        logger.warn({ ...errorFields(error), consecutiveFailures: failures, delayMs }, 'event-log: NATS unavailable; retrying');
        await abortableSleep(delayMs, signal);
      }
    }
  }

  private attach(nc: NatsConnection, jsm: JetStreamManager, signal: AbortSignal): void {
    const js = jetstream(nc);
    const live = (): JetStreamSession => {
      this.epoch += 1;
      return { js, jsm, epoch: this.epoch };
    };
    this.connection = nc;
    this.current = live();
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.current = undefined;
        else if (status.type === 'reconnect') this.current = live();
      }
    })().catch((error: unknown) => this.options.logger.error(errorFields(error), 'event-log: watching the NATS connection failed'));
    // With unlimited reconnects the client only closes on stop() or on a fatal error (e.g. its
    // credentials were revoked): then start over, so the link is never left dead.
    void nc.closed().then((error) => {
      if (this.connection !== nc || signal.aborted) return;
      this.connection = undefined;
      this.current = undefined;
      this.options.logger.error(errorFields(error ?? new Error('closed by the server')), 'event-log: NATS connection closed; connecting again');
      this.connecting = this.connectUntilUp(signal);
    });
  }
}
