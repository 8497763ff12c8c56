// Entry point of the `gateway` service. runApp validates config, starts tracing (before anything
// loads @grpc/grpc-js, pg or fastify, which is why no other import may come first and the wiring is
// imported inside `build`), serves gRPC health, the HTTP surface, and stops cleanly on SIGTERM.
import { startTracing } from '@geo/otel/sdk';
import { runApp } from '@geo/service-kit';

void runApp('gateway', { startTracing, build: (context) => import('./wiring').then((wiring) => wiring.build(context)) });
