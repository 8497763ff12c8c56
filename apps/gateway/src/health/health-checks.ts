import { UnavailableError } from '@geo/domain';
import { assertMigrated, type DatabaseRole } from '@geo/pg';
import type { Pool } from 'pg';

/** One dependency's state, as the readiness answer shows it. */
export type CheckOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** The checks behind `/-/health` and `/-/readiness`. */
export interface HealthChecks {
  /** The site's PostgreSQL answers, and its schema is the one this code expects. */
  database(): Promise<CheckOutcome>;
  /** The site's nuget app reports SERVING over grpc.health.v1. */
  nuget(): Promise<CheckOutcome>;
}

export interface HealthCheckDeps {
  readonly pool: Pool;
  readonly role: DatabaseRole;
  readonly nugetHealth: () => Promise<void>;
  /** Per-check budget; a check slower than this counts as failed. */
  readonly timeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function outcome(check: () => Promise<unknown>): Promise<CheckOutcome> {
  try {
    await check();
    return { ok: true };
  } catch (error: unknown) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Checks over the real dependencies. The schema check runs until it passes once and is then
 * remembered: migrations only move forward while the process lives, so repeating it would only cost.
 */
export function createHealthChecks(deps: HealthCheckDeps): HealthChecks {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  let schemaVerified = false;
  return {
    database: () =>
      outcome(async () => {
        await withTimeout(deps.pool.query('SELECT 1'), timeoutMs, 'PostgreSQL');
        if (!schemaVerified) {
          await withTimeout(assertMigrated(deps.pool, deps.role), timeoutMs, 'PostgreSQL schema check');
          schemaVerified = true;
        }
      }),
    nuget: () => outcome(() => withTimeout(deps.nugetHealth(), timeoutMs, 'nuget app')),
  };
}
