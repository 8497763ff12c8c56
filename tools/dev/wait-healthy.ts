/**
 * Waits until every given gRPC endpoint answers grpc.health.v1 Check with SERVING.
 *   tsx tools/dev/wait-healthy.ts [--timeout-ms N] label=host:port …
 * Prints one line per endpoint; exits 1 naming the endpoints that never became healthy.
 */
import { waitForGrpcHealth, type HealthTarget } from './lib/grpc-health';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let timeoutMs = 30_000;
  const targets: HealthTarget[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--timeout-ms') timeoutMs = Number(args[++i]);
    else {
      const [label, address] = a.includes('=') ? (a.split('=', 2) as [string, string]) : [a, a];
      targets.push({ label, address });
    }
  }
  const down = await waitForGrpcHealth(targets, timeoutMs, (t) => console.log(`  SERVING  ${t.label.padEnd(28)} ${t.address}`));
  for (const t of down) console.log(`  DOWN     ${t.label.padEnd(28)} ${t.address}`);
  return down.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
