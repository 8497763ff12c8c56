/**
 * Process runtime shared by the apps: JSON logger, lifecycle runner, and `runApp`.
 * Invariant: nothing imported here at module load may load `@grpc/grpc-js`, `pg` or other
 * instrumented clients (they are imported lazily), because apps import this before tracing runs.
 */
export { createLogger, type CreateLoggerOptions, type Logger } from './logger';
export {
  runService,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type Component,
  type RunServiceOptions,
  type ServiceProcess,
} from './lifecycle';
export { runApp, healthServiceName, type AppContext, type AppParts, type RunAppOptions, type StartTracing } from './run-app';
export { BackgroundTask } from './background-task';
