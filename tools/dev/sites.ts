/**
 * Local development sites: `tsx tools/dev/sites.ts up|down|status` (normally through `npm run dev:up` /
 * `npm run dev:down`, which first make PostgreSQL, NATS and s3rver available via tools/dev/services).
 *
 * `up` starts every app of each site in SITES as a background process on loopback (logs and pid files
 * under .dev/sites/<site>/), migrates the site's database, waits for gRPC health and the gateway's
 * `/-/health`, registers the site in `geo_sites`, creates a development project with a NuGet API key on
 * the primary, and writes .dev/sites.json. Re-running `up` while the sites run changes nothing.
 * `down` stops exactly the processes `up` started (by pid file), SIGTERM first, SIGKILL after 15 s.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { APP_NAMES, type AppName } from '@geo/config';
import { migrate } from '@geo/pg';
import { testServiceUrls } from '@geo/testing';
import { waitForGrpcHealth } from './lib/grpc-health';
import { APP_RUNTIME_ARGS, siteEnv, waitForHttpHealth } from './lib/site-env';
import { DEV_SITES as SITES, type DevSiteSpec as SiteSpec } from './lib/dev-sites-spec';

const ROOT = resolve(__dirname, '../..');
const DEV = join(ROOT, '.dev');
const SITES_JSON = join(DEV, 'sites.json');
const SECRETS_JSON = join(DEV, 'sites', 'secrets.json');

const NATS_SERVER_BINARY = process.env.NATS_SERVER_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

/** What .dev/sites.json lists per site (the contract other tools and the next issues read). */
interface SiteEntry {
  name: string;
  role: 'primary' | 'secondary';
  url: string;
  admin_token: string;
  nuget_project_id?: number;
  nuget_api_key?: string;
}

/** Values generated once and kept across restarts (API keys and site secrets are shown only at creation). */
interface Secrets {
  [site: string]: { admin_token: string; nuget_project_id?: number; nuget_api_key?: string; access_key?: string; secret_access_key?: string };
}

function log(line: string): void {
  console.log(`[dev-sites] ${line}`);
}

function siteDir(site: SiteSpec): string {
  return join(DEV, 'sites', site.name);
}

/** A site's processes: its apps, and for a secondary its own nats-server. */
type SiteProcess = AppName | 'nats-server';

function pidFile(site: SiteSpec, app: SiteProcess): string {
  return join(siteDir(site), 'pids', `${app}.pid`);
}

function siteProcesses(site: SiteSpec): SiteProcess[] {
  return site.natsPort === undefined ? [...APP_NAMES] : ['nats-server', ...APP_NAMES];
}

function grpcPort(site: SiteSpec, app: AppName): number {
  return site.grpcBasePort + APP_NAMES.indexOf(app);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningPid(site: SiteSpec, app: SiteProcess): number | undefined {
  const file = pidFile(site, app);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

function readJson<T>(file: string, fallback: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : fallback;
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database}"`);
      log(`created database ${database}`);
    }
  } finally {
    await client.end();
  }
}

function startApp(site: SiteSpec, app: AppName, env: NodeJS.ProcessEnv): number {
  return startDetached(site, app, process.execPath, [...APP_RUNTIME_ARGS, `apps/${app}/src/main.ts`], env);
}

/** The secondary's own JetStream server, storage under .dev/sites/<site>/nats (kept across restarts). */
async function startSiteNats(site: SiteSpec, port: number): Promise<void> {
  if (runningPid(site, 'nats-server') !== undefined) return;
  const storeDir = join(siteDir(site), 'nats');
  mkdirSync(storeDir, { recursive: true });
  const pid = startDetached(site, 'nats-server', NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], process.env);
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline || !alive(pid)) throw new Error(`${site.name}/nats-server did not start on ${port} (log in ${join(siteDir(site), 'logs')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`started ${site.name}/nats-server (pid ${pid}, nats://127.0.0.1:${port})`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function startDetached(site: SiteSpec, label: SiteProcess, command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const logFile = join(siteDir(site), 'logs', `${label}.log`);
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${site.name}/${label}`);
    writeFileSync(pidFile(site, label), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Admin REST call to a site's gateway; throws with the response body on a non-2xx status. */
async function api<T>(entry: SiteEntry, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${entry.url}/api/v4${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': entry.admin_token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = (text === '' ? {} : JSON.parse(text)) as T;
  return { status: res.status, json };
}

/**
 * Registers a site in the primary's geo_sites once. A secondary's access key and secret are shown
 * only in the creation answer, so they are kept in secrets.json; a registered secondary whose secret
 * was lost is removed and registered again.
 */
async function ensureSiteRegistered(primary: SiteEntry, site: SiteSpec, url: string, secrets: Secrets): Promise<void> {
  const saved = secrets[site.name]!;
  const list = await api<Array<{ id: number; name: string }>>(primary, 'GET', '/geo_sites');
  if (list.status !== 200) throw new Error(`GET /geo_sites answered ${list.status}: ${JSON.stringify(list.json)}`);
  const existing = list.json.find((s) => s.name === site.name);
  if (existing !== undefined && (site.role === 'primary' || saved.secret_access_key !== undefined)) return;
  if (existing !== undefined) {
    const removed = await api(primary, 'DELETE', `/geo_sites/${existing.id}`);
    if (removed.status !== 204) throw new Error(`removing site ${site.name} answered ${removed.status}: ${JSON.stringify(removed.json)}`);
    log(`site ${site.name} was registered but its secret is gone: registering it again`);
  }
  const created = await api<{ access_key?: string; secret_access_key?: string }>(primary, 'POST', '/geo_sites', { name: site.name, url, primary: site.role === 'primary' });
  if (created.status !== 201) throw new Error(`registering site ${site.name} answered ${created.status}: ${JSON.stringify(created.json)}`);
  if (site.role === 'secondary') {
    saved.access_key = created.json.access_key;
    saved.secret_access_key = created.json.secret_access_key;
  }
  writeFileSync(SECRETS_JSON, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  log(`registered site ${site.name} in geo_sites`);
}

/** A development group and project with a NuGet API key, created once and remembered in secrets. */
async function ensureDevProject(primary: SiteEntry, secrets: Secrets): Promise<void> {
  const saved = secrets[primary.name]!;
  if (saved.nuget_project_id !== undefined && saved.nuget_api_key !== undefined) {
    const found = await api(primary, 'GET', `/projects/${saved.nuget_project_id}`);
    if (found.status === 200) return;
  }
  const suffix = randomBytes(3).toString('hex');
  const ns = await api<{ id: number }>(primary, 'POST', '/namespaces', { name: `Dev ${suffix}`, path: `dev-${suffix}` });
  if (ns.status !== 201) throw new Error(`creating the dev namespace answered ${ns.status}: ${JSON.stringify(ns.json)}`);
  const project = await api<{ id: number; nuget_api_key: string }>(primary, 'POST', '/projects', {
    name: 'Symbols',
    path: 'symbols',
    namespace_id: ns.json.id,
  });
  if (project.status !== 201) throw new Error(`creating the dev project answered ${project.status}: ${JSON.stringify(project.json)}`);
  saved.nuget_project_id = project.json.id;
  saved.nuget_api_key = project.json.nuget_api_key;
  log(`created project dev-${suffix}/symbols (id ${project.json.id}) with a NuGet API key`);
}

/** Environment of a secondary's apps: how they reach and authenticate to the primary (ADR 0004 §3). */
function secondaryExtraEnv(primary: SiteSpec, secrets: Secrets, site: SiteSpec, natsUrl: string): Record<string, string> {
  const saved = secrets[site.name]!;
  if (saved.access_key === undefined || saved.secret_access_key === undefined) throw new Error(`no credentials for ${site.name}`);
  const at = (app: AppName) => `http://127.0.0.1:${grpcPort(primary, app)}`;
  return {
    GEO_PRIMARY_GRPC_URL: at('registry'),
    GEO_PRIMARY_REGISTRY_GRPC_URL: at('registry'),
    GEO_PRIMARY_BLOB_TRANSFER_GRPC_URL: at('blob-transfer'),
    GEO_PRIMARY_STATUS_GRPC_URL: at('status'),
    GEO_PRIMARY_NATS_URL: natsUrl,
    GEO_PRIMARY_HTTP_URL: `http://127.0.0.1:${primary.httpPort}`,
    GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL: `http://127.0.0.1:${primary.retrieveHttpPort}`,
    GEO_ACCESS_KEY: saved.access_key,
    GEO_SECRET_ACCESS_KEY: saved.secret_access_key,
  };
}

/** Starts the site's missing processes, waits for gRPC and HTTP health, and returns its entry. */
async function bringUp(site: SiteSpec, adminToken: string, natsUrl: string, pgAdminUrl: string, extra: Record<string, string>): Promise<SiteEntry> {
  const running = APP_NAMES.filter((app) => runningPid(site, app) !== undefined);
  if (running.length < APP_NAMES.length) {
    await ensureDatabase(pgAdminUrl, site.database);
    await migrate({ role: site.role, databaseUrl: databaseUrl(pgAdminUrl, site.database) });
    for (const app of APP_NAMES) {
      if (running.includes(app)) continue;
      const env = siteEnv({
        app,
        name: site.name,
        role: site.role,
        databaseUrl: databaseUrl(pgAdminUrl, site.database),
        natsUrl,
        blobRoot: join(siteDir(site), 'blobs'),
        adminToken,
        httpPort: site.httpPort,
        retrieveHttpPort: site.retrieveHttpPort,
        grpcPorts: Object.fromEntries(APP_NAMES.map((a) => [a, grpcPort(site, a)])),
        extra,
      });
      const pid = startApp(site, app, env);
      log(`started ${site.name}/${app} (pid ${pid}, gRPC 127.0.0.1:${grpcPort(site, app)})`);
    }
  } else {
    log(`${site.name}: all ${APP_NAMES.length} apps already running`);
  }
  const down = await waitForGrpcHealth(
    APP_NAMES.map((app) => ({ label: `${site.name}/${app}`, address: `127.0.0.1:${grpcPort(site, app)}` })),
    60_000,
  );
  if (down.length > 0) {
    throw new Error(`not healthy: ${down.map((t) => t.label).join(', ')} (logs in ${join(siteDir(site), 'logs')})`);
  }
  const url = `http://127.0.0.1:${site.httpPort}`;
  await waitForHttpHealth(url, 30_000);
  return { name: site.name, role: site.role, url, admin_token: adminToken };
}

async function up(): Promise<void> {
  // tools/dev/dev-sites ran `services up` first, which wrote .dev/services.env.
  const services = testServiceUrls();
  const secrets = readJson<Secrets>(SECRETS_JSON, {});
  // One admin token for every local site, as GitLab's sites share their users: a secondary's gateway
  // reads geo_sites from the primary's with the caller's token, so the token must be valid there too.
  const primaryName = SITES.find((s) => s.role === 'primary')?.name;
  const adminToken = (primaryName === undefined ? undefined : secrets[primaryName]?.admin_token) ?? randomBytes(24).toString('hex');
  for (const site of SITES) {
    for (const sub of ['logs', 'pids', 'blobs']) mkdirSync(join(siteDir(site), sub), { recursive: true });
    secrets[site.name] = { ...secrets[site.name], admin_token: adminToken };
  }
  writeFileSync(SECRETS_JSON, JSON.stringify(secrets, null, 2), { mode: 0o600 });

  const primarySpec = SITES.find((s) => s.role === 'primary');
  if (primarySpec === undefined) throw new Error('SITES has no primary');
  const primary = await bringUp(primarySpec, secrets[primarySpec.name]!.admin_token, services.natsUrl, services.pgAdminUrl, {});
  await ensureSiteRegistered(primary, primarySpec, primary.url, secrets);
  await ensureDevProject(primary, secrets);
  writeFileSync(SECRETS_JSON, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  primary.nuget_project_id = secrets[primary.name]!.nuget_project_id;
  primary.nuget_api_key = secrets[primary.name]!.nuget_api_key;

  const entries: SiteEntry[] = [primary];
  for (const site of SITES) {
    if (site.role !== 'secondary') continue;
    const url = `http://127.0.0.1:${site.httpPort}`;
    const hadSecret = secrets[site.name]!.secret_access_key !== undefined;
    await ensureSiteRegistered(primary, site, url, secrets);
    if (!hadSecret) {
      // New credentials: apps started with the old ones must restart to pick them up.
      const pids = APP_NAMES.map((app) => runningPid(site, app)).filter((pid): pid is number => pid !== undefined);
      for (const pid of pids) process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 15_000;
      while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    const natsPort = site.natsPort ?? 14222;
    await startSiteNats(site, natsPort);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    entries.push(await bringUp(site, secrets[site.name]!.admin_token, natsUrl, services.pgAdminUrl, secondaryExtraEnv(primarySpec, secrets, site, services.natsUrl)));
  }
  writeFileSync(SITES_JSON, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
  for (const e of entries) log(`${e.name} (${e.role}) ready at ${e.url}`);
  log(`wrote ${SITES_JSON}`);
}

async function down(): Promise<void> {
  const stopping: Array<{ label: string; pid: number; file: string }> = [];
  // Secondaries first (they call the primary), and each site's apps before its nats-server.
  for (const site of [...SITES].reverse()) {
    for (const app of [...siteProcesses(site)].reverse()) {
      const file = pidFile(site, app);
      const pid = runningPid(site, app);
      if (pid === undefined) {
        rmSync(file, { force: true });
        continue;
      }
      process.kill(pid, 'SIGTERM');
      stopping.push({ label: `${site.name}/${app}`, pid, file });
    }
  }
  const deadline = Date.now() + 15_000;
  while (stopping.some((s) => alive(s.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const s of stopping) {
    if (alive(s.pid)) {
      log(`${s.label} (pid ${s.pid}) ignored SIGTERM for 15 s; sending SIGKILL`);
      process.kill(s.pid, 'SIGKILL');
    }
    rmSync(s.file, { force: true });
  }
  log(stopping.length === 0 ? 'nothing was running' : `stopped ${stopping.length} processes`);
}

function status(): void {
  for (const site of SITES) {
    for (const app of siteProcesses(site)) {
      const pid = runningPid(site, app);
      console.log(`${`${site.name}/${app}`.padEnd(28)} ${pid === undefined ? 'stopped' : `running (pid ${pid})`}`);
    }
  }
}

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'status') status();
  else throw new Error('usage: tsx tools/dev/sites.ts up|down|status');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[dev-sites] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
