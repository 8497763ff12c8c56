// Entry point of the `status` service. runApp validates config, starts tracing (before anything
// loads @grpc/grpc-js or pg, which is why no other import may come first and the wiring is imported
// inside `build`), serves gRPC health and stops cleanly on SIGTERM.
import { startTracing } from '@geo/otel/sdk';
import { runApp } from '@geo/service-kit';
// Types only (erased): the module itself is loaded in `build`, after tracing started.
import type * as Wiring from './wiring';

// `require`, not `import()`: services run under tsx's CommonJS hook (ADR 0001), where a dynamic
// `import()` would go to Node's ESM loader, which cannot resolve TypeScript sources.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred until tracing runs, see above
void runApp('status', { startTracing, build: (context) => (require('./wiring') as typeof Wiring).build(context) });
