/**
 * Waits until every given gRPC endpoint answers grpc.health.v1 Check with SERVING.
 *   tsx tools/dev/wait-healthy.ts [--timeout-ms N] label=host:port …
 * Prints one line per endpoint; exits 1 naming the endpoints that never became healthy.
 */
import { Metadata, credentials } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@geo/proto';

function check(address: string): Promise<HealthCheckResponse_ServingStatus | 'UNREACHABLE'> {
  const client = new HealthClient(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 1000 }, (err, res) => {
      client.close();
      resolve(err ? 'UNREACHABLE' : res.status);
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let timeoutMs = 30_000;
  const targets: { label: string; address: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--timeout-ms') timeoutMs = Number(args[++i]);
    else {
      const [label, address] = a.includes('=') ? (a.split('=', 2) as [string, string]) : [a, a];
      targets.push({ label, address });
    }
  }
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(targets);
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all(
      [...pending].map(async (t) => {
        if ((await check(t.address)) === HealthCheckResponse_ServingStatus.SERVING) {
          pending.delete(t);
          console.log(`  SERVING  ${t.label.padEnd(28)} ${t.address}`);
        }
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
  for (const t of pending) console.log(`  DOWN     ${t.label.padEnd(28)} ${t.address}`);
  return pending.size === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
