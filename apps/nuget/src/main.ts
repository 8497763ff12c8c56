// Entry point of the `nuget` service. runApp validates config, starts tracing (before anything
// loads @grpc/grpc-js or pg, which is why no other import may come first), then builds the app in
// ./wiring (imported only after tracing started), serves gRPC with health and stops on SIGTERM.
import { startTracing } from '@geo/otel/sdk';
import { runApp } from '@geo/service-kit';

void runApp('nuget', { startTracing, build: (ctx) => import('./wiring').then((m) => m.build(ctx)) });
