import { createChannelClient } from '@geo/grpc';
import { createPool, migrate } from '@geo/pg';
import { HealthClient, NugetServiceClient } from '@geo/proto';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { NugetApi } from '../nuget/nuget-api';
import { startFakeNuget, type FakeNuget } from '../testing/fake-nuget-service';
import { createHealthChecks } from './health-checks';

describe('health checks (PostgreSQL, gRPC health)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let nuget: FakeNuget;
  const clients: Array<{ close(): void }> = [];

  function nugetApiFor(target: string): NugetApi {
    const client = createChannelClient(NugetServiceClient, target);
    const health = createChannelClient(HealthClient, target);
    clients.push(client, health);
    return new NugetApi(client, health, { unaryMs: 1_000, healthMs: 500 });
  }

  beforeAll(async () => {
    db = await createTestDatabase('geo_gateway_health');
    pool = createPool({ databaseUrl: db.url, max: 2 });
    nuget = await startFakeNuget(Buffer.alloc(0));
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await nuget?.stop();
    await pool?.end();
    await db?.drop();
  });

  it('reports an unmigrated database as failed, naming the command to run, then ok once migrated', async () => {
    const checks = createHealthChecks({ pool, role: 'primary', nugetHealth: async () => undefined });
    const before = await checks.database();
    expect(before).toEqual({ ok: false, message: expect.stringContaining('geo db migrate --role primary') });
    await migrate({ role: 'primary', databaseUrl: db.url });
    expect(await checks.database()).toEqual({ ok: true });
  }, 30_000);

  it('reports an unreachable database as failed', async () => {
    const down = createPool({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    try {
      const checks = createHealthChecks({ pool: down, role: 'primary', nugetHealth: async () => undefined, timeoutMs: 1_000 });
      expect(await checks.database()).toEqual({ ok: false, message: expect.any(String) });
    } finally {
      await down.end();
    }
  });

  it("reports the nuget app's gRPC health, and an unreachable one as failed", async () => {
    const up = nugetApiFor(nuget.target);
    expect(await createHealthChecks({ pool, role: 'primary', nugetHealth: () => up.checkHealth() }).nuget()).toEqual({ ok: true });

    nuget.server.health.set('geo.v1.NugetService', 'NOT_SERVING');
    try {
      expect(await createHealthChecks({ pool, role: 'primary', nugetHealth: () => up.checkHealth() }).nuget()).toEqual({
        ok: false,
        message: 'geo.v1.NugetService is NOT_SERVING',
      });
    } finally {
      nuget.server.health.set('geo.v1.NugetService', 'SERVING');
    }

    const gone = nugetApiFor('127.0.0.1:1');
    expect(await createHealthChecks({ pool, role: 'primary', nugetHealth: () => gone.checkHealth() }).nuget()).toEqual({ ok: false, message: expect.any(String) });
  });
});
