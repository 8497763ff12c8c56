import type { FastifyInstance } from 'fastify';
import type { CheckOutcome, HealthChecks } from './health-checks';

export interface HealthRoutesOptions {
  readonly checks: HealthChecks;
}

/** GitLab's `/-/health` body when the site is up. */
export const HEALTH_OK_TEXT = 'GitLab OK';
export const HEALTH_NOT_OK_TEXT = 'GitLab Not OK';

type CheckEntry = { readonly status: 'ok' } | { readonly status: 'failed'; readonly message: string };

function entry(result: CheckOutcome): CheckEntry {
  return result.ok ? { status: 'ok' } : { status: 'failed', message: result.message };
}

/**
 * `/-/health`: plain text, 200 when the process and its database answer (what `npm run dev:up`
 * waits for). `/-/readiness`: GitLab's JSON shape, one `<name>_check` list per dependency, 200
 * when all pass and 503 otherwise. Neither needs a token (load balancers call them).
 */
export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  const { checks } = options;

  app.get('/-/health', async (_request, reply) => {
    const database = await checks.database();
    reply.type('text/plain; charset=utf-8');
    if (database.ok) return reply.code(200).send(HEALTH_OK_TEXT);
    return reply.code(503).send(`${HEALTH_NOT_OK_TEXT}: ${database.message}`);
  });

  app.get('/-/readiness', async (_request, reply) => {
    const [database, nuget] = await Promise.all([checks.database(), checks.nuget()]);
    const ok = database.ok && nuget.ok;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'failed', db_check: [entry(database)], nuget_check: [entry(nuget)] });
  });
}
