import type { AddressInfo } from 'node:net';
import type { Component } from '@geo/service-kit';
import type { FastifyInstance } from 'fastify';

export interface HttpListenOptions {
  readonly host: string;
  /** 0 picks a free port; read it back with `port()`. */
  readonly port: number;
}

/**
 * Runs a fastify instance as a lifecycle component: listens on start (logging the bound port as
 * `httpPort`), and on stop refuses new requests with 503, lets in-flight ones finish and closes.
 */
export function httpServerComponent(app: FastifyInstance, listen: HttpListenOptions): Component & { port(): number | undefined } {
  let bound: number | undefined;
  return {
    name: 'http-server',
    async start() {
      await app.listen({ host: listen.host, port: listen.port });
      bound = (app.server.address() as AddressInfo).port;
      app.log.info({ host: listen.host, httpPort: bound }, 'HTTP server listening');
    },
    async stop() {
      await app.close();
    },
    port: () => bound,
  };
}
