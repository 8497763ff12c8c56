/**
 * docker-compose.yml describes two full sites the way the dev setup wires them (tools/dev/lib/site-env.ts,
 * two-sites.ts). `docker-compose config` (CI) checks the syntax and schema only; this checks the
 * topology: every app of both sites, health checks, start order, each app's environment, the
 * secondary's addresses of the primary, and that secrets fail fast.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// `yaml` 1.x comes with the workspace's tooling (cosmiconfig), not as a direct dependency.
import { parse } from 'yaml';
import { APP_NAMES, ENV_VARS, grpcPortVar, grpcTargetVar, type AppName } from '@geo/config';
import { APP_MALLOC_ARENA_MAX, appNodeOptions } from '../dev/lib/site-env';

const ROOT = resolve(__dirname, '../..');

interface DependsOn {
  readonly condition: string;
}

interface ComposeService {
  readonly image?: string;
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string | number | boolean | null>>;
  readonly depends_on?: Readonly<Record<string, DependsOn>>;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly ports?: readonly string[];
}

interface ComposeFile {
  readonly version: string;
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly [key: string]: unknown;
}

const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
// merge: the file shares environments and depends_on sets through `<<: *anchor`.
const compose = parse(composeText, { merge: true }) as ComposeFile;

type Role = 'primary' | 'secondary';
const ROLES: readonly Role[] = ['primary', 'secondary'];
const PRIMARY_APPS_CALLED_PORTS = { registry: '50054', 'blob-transfer': '50055', status: '50057' } as const;

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function env(name: string): Readonly<Record<string, string | number | boolean | null>> {
  return service(name).environment ?? {};
}

function envText(name: string, variable: string): string {
  const value = env(name)[variable];
  if (typeof value !== 'string') throw new Error(`${name}: ${variable} is ${JSON.stringify(value)}, not a string`);
  return value;
}

const appCases = ROLES.flatMap((role) => APP_NAMES.map((app) => [role, app] as [Role, AppName]));

describe('docker-compose.yml', () => {
  it('stays inside the v1 schema Debian docker-compose parses (no top-level name:)', () => {
    expect(compose.version).toBe('3.9');
    expect(Object.keys(compose).filter((k) => !k.startsWith('x-'))).toEqual(['version', 'services', 'volumes']);
  });

  it('runs seven apps per site from the one image, plus Jaeger', () => {
    for (const role of ROLES) {
      for (const app of APP_NAMES) {
        expect(service(`${role}-${app}`).command).toEqual([app]);
        expect(service(`${role}-${app}`).image).toMatch(/^geo-nuget:/);
      }
    }
    expect(service('jaeger').image).toMatch(/^jaegertracing\/all-in-one:/);
  });

  it.each(ROLES)('gives the %s site its own PostgreSQL, NATS JetStream and MinIO, each with a health check', (role) => {
    for (const infra of ['postgres', 'nats', 'minio']) expect(service(`${role}-${infra}`).healthcheck?.test.length).toBeGreaterThan(0);
    expect(service(`${role}-nats`).command).toContain('-js');
    expect(service(`${role}-migrate`).command).toEqual(expect.arrayContaining(['cli', 'db', 'migrate', '--role', role]));
  });

  describe.each(appCases)('%s %s', (role, app) => {
    const name = `${role}-${app}`;

    it('has a health check run by the script the image carries', () => {
      const test = service(name).healthcheck?.test ?? [];
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', 'tools/docker/healthcheck.cjs']);
      const target = app === 'gateway' ? `http://127.0.0.1:${envText(name, 'GEO_GATEWAY_HTTP_PORT')}/-/readiness` : `127.0.0.1:${envText(name, grpcPortVar(app))}`;
      expect(test[3]).toBe(target);
    });

    it('starts after its site infrastructure is healthy, its bucket exists and its database is migrated', () => {
      const dependsOn = service(name).depends_on ?? {};
      expect(dependsOn[`${role}-postgres`]).toEqual({ condition: 'service_healthy' });
      expect(dependsOn[`${role}-nats`]).toEqual({ condition: 'service_healthy' });
      expect(dependsOn[`${role}-minio-init`]).toEqual({ condition: 'service_completed_successfully' });
      expect(dependsOn[`${role}-migrate`]).toEqual({ condition: 'service_completed_successfully' });
      if (app === 'gateway') {
        for (const sibling of APP_NAMES.filter((a) => a !== 'gateway')) expect(dependsOn[`${role}-${sibling}`]).toEqual({ condition: 'service_healthy' });
      }
      if (role === 'secondary') expect(dependsOn['primary-gateway']).toEqual({ condition: 'service_healthy' });
    });

    it('gets the environment site-env.ts gives it', () => {
      expect(env(name)['GEO_ROLE']).toBe(role);
      expect(envText(name, 'GEO_SITE_NAME')).toMatch(new RegExp(`^\\$\\{${role.toUpperCase()}_SITE_NAME:-${role}\\}$`));
      expect(env(name)['NODE_OPTIONS']).toBe(appNodeOptions(role, app));
      expect(env(name)['MALLOC_ARENA_MAX']).toBe(APP_MALLOC_ARENA_MAX);
      expect(env(name)['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('http://jaeger:4317');
      expect(envText(name, 'DATABASE_URL')).toContain(`@${role}-postgres:5432/geo_${role}`);
      expect(env(name)['NATS_URL']).toBe(`nats://${role}-nats:4222`);
      expect(env(name)['S3_ENDPOINT']).toBe(`http://${role}-minio:9000`);
      expect(env(name)['S3_BUCKET']).toBe(`geo-${role}`);
      for (const other of APP_NAMES) {
        const otherPort = envText(name, grpcPortVar(other));
        expect(envText(`${role}-${other}`, grpcPortVar(other))).toBe(otherPort);
        if (other !== 'gateway') expect(env(name)[grpcTargetVar(other)]).toBe(`${role}-${other}:${otherPort}`);
      }
    });

    it('sets only variables the apps declare (libs/config ENV_VARS) besides Node and glibc settings', () => {
      const known = new Set([...ENV_VARS.map((v) => v.name), 'NODE_OPTIONS', 'MALLOC_ARENA_MAX']);
      expect(Object.keys(env(name)).filter((v) => !known.has(v))).toEqual([]);
    });

    if (role === 'secondary') {
      it("names the primary's addresses, and its own credentials from .env", () => {
        const e = env(name);
        expect(e['GEO_PRIMARY_GRPC_URL']).toBe(`http://primary-registry:${PRIMARY_APPS_CALLED_PORTS.registry}`);
        for (const [called, calledPort] of Object.entries(PRIMARY_APPS_CALLED_PORTS)) {
          const variable = `GEO_PRIMARY_${called.toUpperCase().replace(/-/g, '_')}_GRPC_URL`;
          expect(e[variable]).toBe(`http://primary-${called}:${calledPort}`);
          expect(envText(`primary-${called}`, grpcPortVar(called as AppName))).toBe(calledPort);
        }
        expect(e['GEO_PRIMARY_NATS_URL']).toBe('nats://primary-nats:4222');
        expect(e['GEO_PRIMARY_HTTP_URL']).toBe(`http://primary-gateway:${envText('primary-gateway', 'GEO_GATEWAY_HTTP_PORT')}`);
        expect(e['GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL']).toBe(`http://primary-blob-transfer:${envText('primary-blob-transfer', 'GEO_BLOB_TRANSFER_HTTP_PORT')}`);
        expect(e['GEO_ACCESS_KEY']).toBe('${SECONDARY_GEO_ACCESS_KEY:-}');
        expect(e['GEO_SECRET_ACCESS_KEY']).toBe('${SECONDARY_GEO_SECRET_ACCESS_KEY:-}');
      });
    }
  });

  it('makes every secret without a safe default fail fast, and .env.example lists it', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const uncommented = composeText.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
    const required = new Set([...uncommented.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]));
    for (const role of ROLES) {
      const upper = role.toUpperCase();
      expect([...required]).toEqual(expect.arrayContaining([`${upper}_GEO_ADMIN_TOKEN`, `${upper}_POSTGRES_PASSWORD`, `${upper}_MINIO_ROOT_PASSWORD`]));
      expect(envText(`${role}-gateway`, 'GEO_ADMIN_TOKEN')).toMatch(new RegExp(`^\\$\\{${upper}_GEO_ADMIN_TOKEN:\\?`));
    }
    for (const variable of [...required, 'SECONDARY_GEO_ACCESS_KEY', 'SECONDARY_GEO_SECRET_ACCESS_KEY']) expect(listed).toContain(variable);
  });

  it("publishes no host port on the secondary's scalable workers", () => {
    expect(service('secondary-blob-transfer').ports).toBeUndefined();
    expect(service('secondary-checksum').ports).toBeUndefined();
  });

  it('uses a health-check script the Dockerfile copies into the image', () => {
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^COPY tools\/docker\/healthcheck\.cjs \.\/tools\/docker\/healthcheck\.cjs$/m);
  });
});
