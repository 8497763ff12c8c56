import { Socket } from 'node:net';
import { testServiceUrls } from './services';

function reachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

/**
 * Integration tests need real services. Fail the whole run with one clear message instead of
 * a hundred connection errors when `tools/dev/services up` has not been run.
 */
export default async function globalSetup(): Promise<void> {
  const urls = testServiceUrls();
  const checks: [string, string][] = [
    ['PostgreSQL', urls.pgAdminUrl],
    ['NATS', urls.natsUrl],
    ['S3 (s3rver)', urls.s3Endpoint],
  ];
  const missing: string[] = [];
  for (const [label, raw] of checks) {
    const u = new URL(raw);
    const port = Number(u.port || (u.protocol === 'postgres:' ? 5432 : u.protocol === 'nats:' ? 4222 : 80));
    if (!(await reachable(u.hostname, port))) missing.push(`${label} at ${u.hostname}:${port}`);
  }
  if (missing.length > 0) {
    throw new Error(`integration services unreachable: ${missing.join(', ')}. Run: bash tools/dev/services up`);
  }
}
