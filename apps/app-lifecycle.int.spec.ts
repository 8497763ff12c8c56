/**
 * Boots each of the seven services of a primary site (migrated database) as a real process
 * (`node --require tsx/cjs`, as deployed), in parallel, and checks
 * the contract every app keeps from day one: JSON logs, a "started" line with the bound port, a
 * grpc.health.v1 Check over the network answering SERVING for the app's service, and a clean exit 0
 * within 5 s of SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { APP_NAMES, grpcPortVar, type AppName } from '@geo/config';
import { migrate } from '@geo/pg';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@geo/proto';
import { healthServiceName } from '@geo/service-kit';
import { createTestDatabase, testServiceUrls, type TestDatabase } from '@geo/testing';

const ROOT = join(__dirname, '..');
const STARTUP_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 5_000;

interface RunningApp {
  readonly app: AppName;
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly port: number;
  readonly exited: Promise<number | null>;
}

/** Every child this file spawned, with its exit, recorded at spawn time so afterAll can reap them all. */
const spawned: Array<{ readonly child: ChildProcess; readonly exited: Promise<number | null> }> = [];

function startApp(app: AppName, blobRoot: string, databaseUrl: string): Promise<RunningApp> {
  const urls = testServiceUrls();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'apps', app, 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'],
      GEO_ROLE: 'primary',
      GEO_SITE_NAME: 'lifecycle-test',
      DATABASE_URL: databaseUrl,
      NATS_URL: urls.natsUrl,
      BLOB_STORE_ROOT: blobRoot,
      GEO_ADMIN_TOKEN: 'lifecycle-admin-token-0123456789',
      GEO_GATEWAY_HTTP_PORT: '0',
      [grpcPortVar(app)]: '0', // any free port; the "started" line reports it
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  spawned.push({ child, exited });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app} did not log "started" in time:\n${lines.join('\n')}\n${stderr}`)), STARTUP_TIMEOUT_MS);
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const parsed = tryJson(line);
        if (parsed?.['msg'] === 'started' && typeof parsed['port'] === 'number') {
          clearTimeout(timer);
          resolve({ app, child, lines, port: parsed['port'], exited });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited with ${code} before starting:\n${lines.join('\n')}\n${stderr}`));
    });
  });
}

function tryJson(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function healthCheck(port: number, service: string): Promise<HealthCheckResponse_ServingStatus> {
  const client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise<HealthCheckResponse_ServingStatus>((resolve, reject) => {
    client.check({ service }, (err, res) => (err ? reject(err) : resolve(res.status)));
  }).finally(() => client.close());
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

describe('app lifecycle (all seven services as real processes)', () => {
  const blobRoot = mkdtempSync(join(tmpdir(), 'geo-lifecycle-'));
  let apps: RunningApp[] = [];
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('geo_lifecycle');
    await migrate({ role: 'primary', databaseUrl: db.url });
    const databaseUrl = db.url;
    const results = await Promise.allSettled(APP_NAMES.map((app) => startApp(app, blobRoot, databaseUrl)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new Error(failed.map((f) => String(f.reason)).join('\n\n'));
    apps = results.map((r) => (r as PromiseFulfilledResult<RunningApp>).value);
  }, STARTUP_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    // Also children that never logged "started": an orphan would keep its pipes (and jest) open.
    for (const { child } of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(spawned.map((s) => s.exited));
    await db?.drop();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  it.each(APP_NAMES)('%s logs JSON lines and a "started" line with its port', (app) => {
    const { lines, port } = apps.find((a) => a.app === app)!;
    const parsed = lines.map(tryJson);
    expect(parsed.every((p) => p !== undefined)).toBe(true);
    expect(parsed).toContainEqual(expect.objectContaining({ msg: 'started', app, port, service: `geo-${app}`, site: 'lifecycle-test', level: 'info' }));
    expect(port).toBeGreaterThan(0);
  });

  it.each(APP_NAMES)('%s answers grpc.health.v1 Check with SERVING, overall and for its service', async (app) => {
    const { port } = apps.find((a) => a.app === app)!;
    await expect(healthCheck(port, '')).resolves.toBe(HealthCheckResponse_ServingStatus.SERVING);
    await expect(healthCheck(port, healthServiceName(app))).resolves.toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it('every app exits 0 within 5 s of SIGTERM', async () => {
    const codes = await Promise.all(
      apps.map(async ({ app, child, exited }) => {
        child.kill('SIGTERM');
        return [app, await within(exited, EXIT_TIMEOUT_MS, `${app} after SIGTERM`)] as const;
      }),
    );
    expect(codes).toEqual(apps.map(({ app }) => [app, 0]));
  }, EXIT_TIMEOUT_MS + 2_000);
});
