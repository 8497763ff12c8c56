import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { APP_NAMES, grpcPortVar, grpcTargetVar, type AppName } from '@geo/config';

export interface SiteEnvInput {
  readonly name: string;
  readonly role: 'primary' | 'secondary';
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly blobRoot: string;
  readonly adminToken: string;
  readonly httpPort: number;
  /** The blob-transfer app's retrieve HTTP port. */
  readonly retrieveHttpPort: number;
  /** gRPC port of every app of the site that runs. */
  readonly grpcPorts: Readonly<Partial<Record<AppName, number>>>;
  readonly extra?: Readonly<Record<string, string>>;
  /** The app these variables are for (its V8 settings differ); absent: settings of the site's other apps. */
  readonly app?: AppName;
}

/**
 * V8 and glibc settings every app runs with (the Dockerfile and docker-compose.yml set the same): a
 * 2 MB young generation and two malloc arenas (glibc otherwise keeps per-thread arenas of freed
 * Buffers). Secondaries also cap the old space at 128 MB so V8 collects before the heap balloons.
 * With these, every secondary service stays under 200 MB RSS in the replication benchmark, at the
 * price of more GC work. Buffers (blobs, packages) live outside the old space, so the ceiling bounds
 * objects, not payloads. An operator can override both through the environment.
 */
export const APP_NODE_OPTIONS = '--max-semi-space-size=2';
/** Secondaries (the memory budget of issue 4 applies to them) also cap the old space. */
export const SECONDARY_APP_NODE_OPTIONS = `${APP_NODE_OPTIONS} --max-old-space-size=128`;
/**
 * The primary's blob-transfer serves every blob a secondary downloads: with a 2 MB young generation
 * it spent more time collecting than sending (BENCHMARKS.md, issue 4). It gets 16 MB. A secondary's
 * blob-transfer keeps the secondary settings: a 16 MB young generation took it to 200–237 MB RSS in
 * the replication benchmark (external buffers are freed only when the young generation is
 * collected), and with the 128 MB old-space cap kept it was no faster.
 */
export const PRIMARY_BLOB_TRANSFER_NODE_OPTIONS = '--max-semi-space-size=16';

export function appNodeOptions(role: 'primary' | 'secondary', app?: AppName): string {
  if (role === 'secondary') return SECONDARY_APP_NODE_OPTIONS;
  return app === 'blob-transfer' ? PRIMARY_BLOB_TRANSFER_NODE_OPTIONS : APP_NODE_OPTIONS;
}

export const APP_MALLOC_ARENA_MAX = '2';

/**
 * How a service process loads its TypeScript (ADR 0001, amended): tsx's CommonJS hook. `--import
 * tsx` also registers ESM loader hooks, which Node runs on a thread of their own with its own V8
 * heap: 20 MB more RSS per service for nothing, since the sources compile to CommonJS anyway.
 */
export const APP_RUNTIME_ARGS: readonly string[] = ['--require', 'tsx/cjs'];

const WORKSPACE_ROOT = resolve(__dirname, '../../..');

/**
 * The checked-out commit (GeoNodeStatus `revision`, `GEO_REVISION`), read from `.git` files rather
 * than by running git: `HEAD`, then the loose ref or `packed-refs`. Undefined outside a checkout.
 */
export function gitRevision(root = WORKSPACE_ROOT): string | undefined {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(join(root, '.git', path), 'utf8');
    } catch {
      return undefined;
    }
  };
  const head = read('HEAD')?.trim();
  if (head === undefined) return undefined;
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  const sha = ref === undefined ? head : (read(ref)?.trim() ?? read('packed-refs')?.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0]);
  return sha !== undefined && /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 11) : undefined;
}

/**
 * The environment every app of one local site shares: each app reads its own port and the gateway
 * reads the others' targets from the same set (see ENV_VARS in @geo/config).
 */
export function siteEnv(input: SiteEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GEO_ROLE: input.role,
    GEO_SITE_NAME: input.name,
    DATABASE_URL: input.databaseUrl,
    NATS_URL: input.natsUrl,
    BLOB_STORE_KIND: 'fs',
    BLOB_STORE_ROOT: input.blobRoot,
    GEO_GATEWAY_HTTP_PORT: String(input.httpPort),
    GEO_BLOB_TRANSFER_HTTP_PORT: String(input.retrieveHttpPort),
    GEO_ADMIN_TOKEN: input.adminToken,
    // Local sites report every 10 s (production: 60 s) so the primary's copy of a secondary's status,
    // which `geo status` and the admin page show, follows a demo's few minutes closely.
    GEO_STATUS_INTERVAL_SECONDS: process.env.GEO_STATUS_INTERVAL_SECONDS ?? '10',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    NODE_OPTIONS: process.env.NODE_OPTIONS ?? appNodeOptions(input.role, input.app),
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? APP_MALLOC_ARENA_MAX,
    ...(process.env.GEO_REVISION === undefined ? withRevision() : {}),
    ...input.extra,
  };
  for (const app of APP_NAMES) {
    const port = input.grpcPorts[app];
    if (port === undefined) continue;
    env[grpcPortVar(app)] = String(port);
    if (app !== 'gateway') env[grpcTargetVar(app)] = `127.0.0.1:${port}`;
  }
  return env;
}

function withRevision(): Record<string, string> {
  const revision = gitRevision();
  return revision === undefined ? {} : { GEO_REVISION: revision };
}

/** Polls `<url>/-/health` until it answers 200; throws with the last answer after `timeoutMs`. */
export async function waitForHttpHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/-/health`);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url}/-/health did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
