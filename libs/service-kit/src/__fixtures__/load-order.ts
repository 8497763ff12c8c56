// Run by load-order.spec.ts as a real Node process (jest's module registry bypasses the
// require hook under test). Mirrors an app's main.ts import order.
import { startTracing } from '@geo/otel/sdk';
import '@geo/service-kit';

const INSTRUMENTED = /[\\/]node_modules[\\/](@grpc[\\/]grpc-js|pg)[\\/]/;
const loadedBeforeTracing = Object.keys(require.cache).filter((k) => INSTRUMENTED.test(k));
const tracing = startTracing({ serviceName: 'load-order-fixture' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require('@grpc/grpc-js') as { Server: { prototype: { register: { __wrapped?: boolean } } } };
process.stdout.write(JSON.stringify({ loadedBeforeTracing, grpcPatched: grpc.Server.prototype.register.__wrapped === true }));
void tracing.shutdown();
