import { APP_NAMES, grpcPortVar, grpcTargetVar, type AppName } from '@geo/config';

export interface SiteEnvInput {
  readonly name: string;
  readonly role: 'primary' | 'secondary';
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly blobRoot: string;
  readonly adminToken: string;
  readonly httpPort: number;
  /** gRPC port of every app of the site that runs. */
  readonly grpcPorts: Readonly<Partial<Record<AppName, number>>>;
  readonly extra?: Readonly<Record<string, string>>;
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
    GEO_ADMIN_TOKEN: input.adminToken,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
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
