import type { Logger } from './logger';

/** A part of a service with an explicit lifecycle (DB pool, consumer, gRPC server, tracing). */
export interface Component {
  /** Short name for logs, e.g. `grpc-server`. */
  readonly name: string;
  /** Acquires resources; a rejection aborts the service start. */
  start(): Promise<void>;
  /** Releases them; called at most once, and only after `start` resolved. */
  stop(): Promise<void>;
}

/** The slice of `process` the runner uses; tests pass a fake. */
export interface ServiceProcess {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (error: unknown) => void): unknown;
  exit(code: number): void;
}

export interface RunServiceOptions {
  readonly name: string;
  /** Started in order, stopped in reverse. */
  readonly components: readonly Component[];
  readonly logger: Logger;
  /** Budget for stopping everything after a signal; past it the process exits 1. */
  readonly shutdownTimeoutMs?: number;
  /** Extra fields of the "started" line, read once every component started (e.g. the bound port). */
  readonly startedFields?: () => Record<string, unknown>;
  readonly process?: ServiceProcess;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 4000;

const TIMED_OUT = Symbol('timed out');

function errorFields(error: unknown): Record<string, unknown> {
  return { err: error instanceof Error ? error : new Error(String(error)) };
}

/**
 * Runs a service until a termination signal (STYLE 19). Exit codes:
 * - SIGTERM/SIGINT: every started component stops in reverse order → 0; a failing `stop` or the
 *   `shutdownTimeoutMs` budget running out → 1 (a supervisor should not take it for clean).
 * - a `start` failure: logged, already-started components stopped, → 1.
 * - an uncaught exception or unhandled rejection: logged, → 1 at once, without stopping: the
 *   process state is unknown, and everything here must tolerate a crash anyway.
 * Resolves once the start phase is over (started or failed); the process then exits via signals.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const proc: ServiceProcess = options.process ?? process;
  const { logger } = options;
  const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const started: Component[] = [];
  let stopping: Promise<void> | undefined;

  const crash = (kind: string) => (error: unknown) => {
    logger.fatal({ ...errorFields(error), kind }, `${options.name} crashed`);
    proc.exit(1);
  };
  proc.on('uncaughtException', crash('uncaughtException'));
  proc.on('unhandledRejection', crash('unhandledRejection'));

  /** Stops started components in reverse; resolves true when all stopped cleanly in time. */
  async function stopAll(): Promise<boolean> {
    let clean = true;
    const stopInReverse = async (): Promise<void> => {
      for (const component of [...started].reverse()) {
        try {
          await component.stop();
          logger.debug({ component: component.name }, 'component stopped');
        } catch (error: unknown) {
          clean = false;
          logger.error({ ...errorFields(error), component: component.name }, 'component failed to stop');
        }
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      stopInReverse(),
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === TIMED_OUT) {
      logger.error({ timeoutMs }, 'shutdown timed out');
      return false;
    }
    return clean;
  }

  const onSignal = (signal: string) => () => {
    if (stopping !== undefined) {
      logger.warn({ signal }, 'already stopping');
      return;
    }
    logger.info({ signal }, 'stopping');
    stopping = stopAll().then((clean) => {
      logger.info({ exitCode: clean ? 0 : 1 }, 'stopped');
      proc.exit(clean ? 0 : 1);
    });
  };
  proc.on('SIGTERM', onSignal('SIGTERM'));
  proc.on('SIGINT', onSignal('SIGINT'));

  for (const component of options.components) {
    if (stopping !== undefined) return; // a signal arrived mid-start; stopAll handles what started
    try {
      await component.start();
    } catch (error: unknown) {
      logger.fatal({ ...errorFields(error), component: component.name }, 'component failed to start');
      stopping = stopAll().then(() => proc.exit(1));
      return;
    }
    if (stopping !== undefined) {
      // The signal came while this component was starting: stopAll did not see it, stop it here.
      await component.stop().catch((error: unknown) => logger.error({ ...errorFields(error), component: component.name }, 'component failed to stop'));
      return;
    }
    started.push(component);
  }
  if (stopping === undefined) logger.info({ ...options.startedFields?.() }, 'started');
}
