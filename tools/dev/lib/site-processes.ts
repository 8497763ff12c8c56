/**
 * Starts one site's apps as real child processes (`node --require tsx/cjs apps/<app>/src/main.ts`), the
 * way a deployment runs them, for end-to-end tests and benchmarks. Ports are picked free on
 * loopback; each app's output goes to a log file so a failing test can show it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { APP_NAMES, type AppName } from '@geo/config';
import { freePort } from '@geo/testing';
import { waitForGrpcHealth } from './grpc-health';
import { APP_RUNTIME_ARGS, siteEnv, waitForHttpHealth } from './site-env';

const ROOT = resolve(__dirname, '../../..');

export interface SiteOptions {
  readonly name: string;
  readonly role: 'primary' | 'secondary';
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly blobRoot: string;
  readonly adminToken: string;
  /** Where logs go: `<logDir>/<app>.log`. */
  readonly logDir: string;
  /** Apps to start; default all. The gateway's targets point at the started ones. */
  readonly apps?: readonly AppName[];
  /** Extra environment for every app (e.g. NuGet limits, LOG_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags for every app (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
}

export interface RunningSite {
  readonly name: string;
  /** The gateway's base URL (`http://127.0.0.1:<port>`), when the gateway runs. */
  readonly url: string | undefined;
  readonly grpcPorts: Readonly<Partial<Record<AppName, number>>>;
  /** The blob-transfer app's retrieve HTTP address (served on primaries). */
  readonly retrieveHttpUrl: string;
  /** SIGTERMs every app and waits for them (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** Kills (SIGKILL, as a crash) and restarts one app with the same environment (fault tests). */
  restart(app: AppName): Promise<void>;
  /** Process id of each running app (e.g. to read its peak RSS from /proc/<pid>/status). */
  pids(): Partial<Record<AppName, number>>;
  /** SIGTERMs one app and waits for it to exit (an operator stopping a service). */
  stopApp(app: AppName): Promise<void>;
  /** Starts a stopped app again and waits until it is healthy. */
  startApp(app: AppName): Promise<void>;
  /** The tail of an app's log, for failure messages. */
  logTail(app: AppName, lines?: number): string;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
}

export async function startSite(options: SiteOptions): Promise<RunningSite> {
  const apps = options.apps ?? APP_NAMES;
  mkdirSync(options.logDir, { recursive: true });
  mkdirSync(options.blobRoot, { recursive: true });
  const ports: Partial<Record<AppName, number>> = {};
  for (const app of apps) ports[app] = await freePort();
  const httpPort = await freePort();
  const retrieveHttpPort = await freePort();

  const envFor = (app: AppName) => siteEnv({
    app,
    name: options.name,
    role: options.role,
    databaseUrl: options.databaseUrl,
    natsUrl: options.natsUrl,
    blobRoot: options.blobRoot,
    adminToken: options.adminToken,
    httpPort,
    retrieveHttpPort,
    grpcPorts: ports,
    extra: options.env,
  });

  const children = new Map<AppName, ChildProcess>();
  const logFile = (app: AppName) => join(options.logDir, `${app}.log`);
  const launch = (app: AppName): void => {
    const fd = openSync(logFile(app), 'a');
    try {
      const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...APP_RUNTIME_ARGS, `apps/${app}/src/main.ts`], { cwd: ROOT, env: envFor(app), stdio: ['ignore', fd, fd] });
      children.set(app, child);
    } finally {
      closeSync(fd);
    }
  };
  const logTail = (app: AppName, lines = 30): string => {
    try {
      return readFileSync(logFile(app), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const stop = async (graceMs = 10_000): Promise<void> => {
    const all = [...children.values()];
    for (const c of all) c.kill('SIGTERM');
    const timer = setTimeout(() => all.forEach((c) => c.kill('SIGKILL')), graceMs);
    await Promise.all(all.map(exited));
    clearTimeout(timer);
  };
  const url = apps.includes('gateway') ? `http://127.0.0.1:${httpPort}` : undefined;
  const waitHealthy = async (which: readonly AppName[]): Promise<void> => {
    const down = await waitForGrpcHealth(
      which.map((app) => ({ label: app, address: `127.0.0.1:${ports[app]}` })),
      60_000,
    );
    if (down.length > 0) {
      throw new Error(`site ${options.name}: not healthy: ${down.map((d) => `${d.label}\n${logTail(d.label as AppName)}`).join('\n')}`);
    }
    if (url !== undefined && which.includes('gateway')) await waitForHttpHealth(url, 30_000);
  };

  for (const app of apps) launch(app);
  try {
    await waitHealthy(apps);
  } catch (error) {
    await stop(2000);
    throw error;
  }
  return {
    name: options.name,
    url,
    grpcPorts: ports,
    retrieveHttpUrl: `http://127.0.0.1:${retrieveHttpPort}`,
    stop,
    logTail,
    pids() {
      const out: Partial<Record<AppName, number>> = {};
      for (const [app, child] of children) if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) out[app] = child.pid;
      return out;
    },
    async stopApp(app) {
      const child = children.get(app);
      if (child === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    },
    async startApp(app) {
      const child = children.get(app);
      if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
      launch(app);
      await waitHealthy([app]);
    },
    async restart(app) {
      const child = children.get(app);
      if (child !== undefined) {
        child.kill('SIGKILL');
        await exited(child);
      }
      launch(app);
      await waitHealthy([app]);
    },
  };
}
