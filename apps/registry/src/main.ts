// Entry point of the `registry` service. runApp validates config, starts tracing (before anything
// loads @grpc/grpc-js or pg, which is why no other import may come first and the wiring is imported
// inside `build`), serves gRPC health and stops cleanly on SIGTERM.
import { startTracing } from '@geo/otel/sdk';
import { runApp } from '@geo/service-kit';

void runApp('registry', { startTracing, build: (context) => import('./wiring').then((wiring) => wiring.build(context)) });
