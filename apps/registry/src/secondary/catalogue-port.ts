import type { PrimaryCatalogClient } from '@geo/grpc';

/**
 * What the secondary's registry app reads from the primary's catalogue (`PrimaryCatalogClient`
 * satisfies it; tests pass an in-memory fake). Answers are already scoped to this site by the
 * primary (ADR 0004 §2), so nothing here filters by selective sync.
 */
export type SecondaryCatalogue = Pick<PrimaryCatalogClient, 'listReplicables' | 'getReplicables' | 'describeCatalog'>;
