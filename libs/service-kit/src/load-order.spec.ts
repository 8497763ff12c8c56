import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * Apps import `@geo/otel/sdk` and `@geo/service-kit` before tracing starts; if either loaded
 * `@grpc/grpc-js` or `pg` at import time, the instrumentations could not patch them and every
 * app would silently lose its gRPC and pg spans.
 */
describe('import order of an app entry point', () => {
  it('loads no instrumented client before tracing, so grpc-js gets patched', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, '__fixtures__', 'load-order.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(out)).toEqual({ loadedBeforeTracing: [], grpcPatched: true });
  }, 25_000);
});
