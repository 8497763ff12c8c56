import { Metadata, credentials } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@geo/proto';

/** One grpc.health.v1 Check of the overall server (`service: ''`), 1 s deadline. */
export function checkGrpcHealth(address: string): Promise<HealthCheckResponse_ServingStatus | 'UNREACHABLE'> {
  const client = new HealthClient(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 1000 }, (err, res) => {
      client.close();
      resolve(err ? 'UNREACHABLE' : res.status);
    });
  });
}

export interface HealthTarget {
  readonly label: string;
  readonly address: string;
}

/**
 * Polls until every target answers SERVING or the timeout passes; calls `onServing` once per target
 * as it becomes healthy. Returns the targets that never did (empty on success).
 */
export async function waitForGrpcHealth(
  targets: readonly HealthTarget[],
  timeoutMs: number,
  onServing: (target: HealthTarget) => void = () => undefined,
): Promise<HealthTarget[]> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(targets);
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all(
      [...pending].map(async (t) => {
        if ((await checkGrpcHealth(t.address)) === HealthCheckResponse_ServingStatus.SERVING) {
          pending.delete(t);
          onServing(t);
        }
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return [...pending];
}
