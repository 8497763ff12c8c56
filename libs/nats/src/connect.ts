import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UnavailableError, type LoggerPort } from '@geo/domain';
import { errorFields } from './logger';

export interface NatsConnectOptions {
  /** One or more `nats://host:port` URLs (a cluster's seeds). */
  readonly servers: string | readonly string[];
  /** Client name shown by the server (`connz`); use `<service>@<site>`. */
  readonly name: string;
  readonly logger: LoggerPort;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** Pause between reconnect attempts; default 2 s. */
  readonly reconnectTimeWaitMs?: number;
  /**
   * Default true: wait (for ever) until a server answers. False: one attempt, failing fast with an
   * `UnavailableError` (logged at warn) when none does, for callers that must stay stoppable and
   * retry on their own schedule. Either way, once connected the client reconnects for ever.
   */
  readonly waitOnFirstConnect?: boolean;
}

/**
 * Connects and keeps reconnecting for ever: while NATS is down the outbox and the registry still
 * hold all intent, so a service waits rather than dies (DESIGN §5). By default waits for the first
 * connection too, so start order does not matter. Connection state changes are logged.
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  const { logger } = options;
  logger.info({ servers, name: options.name }, 'nats: connecting');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: options.name,
      user: options.user,
      pass: options.pass,
      token: options.token,
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 2000,
      waitOnFirstConnect: options.waitOnFirstConnect ?? true,
    });
  } catch (error) {
    // Waiting for ever only ends in an error that retrying cannot fix (e.g. authorization); a single
    // attempt failing is the expected "server not up yet" that the caller retries.
    if (options.waitOnFirstConnect === false) logger.warn({ servers, ...errorFields(error) }, 'nats: connect failed');
    else logger.error({ servers, ...errorFields(error) }, 'nats: connect failed');
    throw new UnavailableError(`cannot connect to NATS at ${servers.join(',')}`, { cause: error });
  }
  logger.info({ server: nc.getServer(), name: options.name }, 'nats: connected');
  void logStatus(nc, logger);
  void nc.closed().then((error) => {
    if (error) logger.error(errorFields(error), 'nats: connection closed with an error');
    else logger.info({}, 'nats: connection closed');
  });
  return nc;
}

async function logStatus(nc: NatsConnection, logger: LoggerPort): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case 'disconnect':
        logger.warn({ server: status.server }, 'nats: disconnected; reconnecting');
        break;
      case 'reconnect':
        logger.info({ server: status.server }, 'nats: reconnected');
        break;
      case 'error':
        logger.error(errorFields(status.error), 'nats: server error');
        break;
      case 'ldm':
        logger.warn({ server: status.server }, 'nats: server entering lame-duck mode');
        break;
      case 'slowConsumer':
        logger.warn({ subject: status.sub.getSubject(), pending: status.pending }, 'nats: slow consumer');
        break;
      case 'staleConnection':
        logger.warn({}, 'nats: stale connection');
        break;
      case 'reconnecting':
      case 'update':
      case 'ping':
      case 'forceReconnect':
      case 'close':
        break;
    }
  }
}
