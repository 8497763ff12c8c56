/** The local sites `npm run dev:up` starts (tools/dev/sites.ts), shared with the demo and e2e tools. */
/** One local site. */
export interface DevSiteSpec {
  readonly name: string;
  readonly role: 'primary' | 'secondary';
  /** gRPC port of the first app; the others follow in APP_NAMES order. */
  readonly grpcBasePort: number;
  readonly httpPort: number;
  /** The blob-transfer app's retrieve HTTP port (secondaries fetch blobs from the primary's). */
  readonly retrieveHttpPort: number;
  readonly database: string;
  /**
   * Secondaries get a nats-server of their own on this port (their GEO_SYNC_JOBS work queue and
   * scheduler nudges, DESIGN §5: per site); the primary uses the shared one from tools/dev/services.
   */
  readonly natsPort?: number;
}

export const DEV_SITES: readonly DevSiteSpec[] = [
  { name: 'primary', role: 'primary', grpcBasePort: 50051, httpPort: Number(process.env.GEO_DEV_PRIMARY_HTTP_PORT ?? 18080), retrieveHttpPort: 18090, database: 'geo_dev_primary' },
  {
    name: 'secondary',
    role: 'secondary',
    grpcBasePort: 50061,
    httpPort: Number(process.env.GEO_DEV_SECONDARY_HTTP_PORT ?? 18081),
    retrieveHttpPort: 18091,
    database: 'geo_dev_secondary',
    natsPort: Number(process.env.GEO_DEV_SECONDARY_NATS_PORT ?? 14222),
  },
];

