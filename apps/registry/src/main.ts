// Entry point of the `registry` service. runApp validates config, starts tracing (before anything
// loads @grpc/grpc-js or pg, which is why no other import may come first), serves gRPC health and
// stops cleanly on SIGTERM. Later issues add the app's wiring as `build: (ctx) => import(...)`.
import { startTracing } from '@geo/otel/sdk';
import { runApp } from '@geo/service-kit';

void runApp('registry', { startTracing });
