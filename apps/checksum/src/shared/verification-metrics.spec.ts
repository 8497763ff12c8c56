import { Registry } from 'prom-client';
import { PromVerificationMetrics, timedVerifier, VERIFICATION_BATCH_DURATION_BUCKETS } from './verification-metrics';

describe('timedVerifier', () => {
  it('observes each resolved batch once, with its duration, and passes the report through', async () => {
    const seen: [string, number][] = [];
    const verifier = timedVerifier({ verify: async (claims: readonly number[]) => ({ n: claims.length }) }, 'packages_nuget_symbol', {
      batchVerified: (name, seconds) => seen.push([name, seconds]),
    });
    await expect(verifier.verify([1, 2, 3])).resolves.toEqual({ n: 3 });
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBe('packages_nuget_symbol');
    expect(seen[0]![1]).toBeGreaterThanOrEqual(0);
  });

  it('does not observe a batch that throws (it is verified again later)', async () => {
    const seen: unknown[] = [];
    const verifier = timedVerifier({ verify: async (): Promise<never> => Promise.reject(new Error('down')) }, 'x', { batchVerified: (...a) => seen.push(a) });
    await expect(verifier.verify([1])).rejects.toThrow('down');
    expect(seen).toEqual([]);
  });
});

describe('PromVerificationMetrics', () => {
  it('writes geo_verification_batch_duration_seconds{replicable} into the registry with the documented buckets', async () => {
    const registry = new Registry();
    new PromVerificationMetrics(registry).batchVerified('packages_nuget_symbol', 0.03);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE geo_verification_batch_duration_seconds histogram');
    expect(text).toContain('geo_verification_batch_duration_seconds_bucket{le="0.025",replicable="packages_nuget_symbol"} 0');
    expect(text).toContain('geo_verification_batch_duration_seconds_bucket{le="0.05",replicable="packages_nuget_symbol"} 1');
    expect(text).toContain('geo_verification_batch_duration_seconds_count{replicable="packages_nuget_symbol"} 1');
    expect(VERIFICATION_BATCH_DURATION_BUCKETS).toEqual([...VERIFICATION_BATCH_DURATION_BUCKETS].sort((a, b) => a - b));
  });
});
