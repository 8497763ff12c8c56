import { ValidationError } from '@geo/domain';

/**
 * `geo resync|reverify`: GitLab's registry mutations (spec §9.3), as the gateway's GraphQL schema
 * (apps/gateway/src/graphql/schema.graphql) names them. Pure: documents, variables, id parsing and
 * what to print; the command does the I/O.
 */

export type RegistryAction = 'resync' | 'reverify';

/** The registry model and class of the one type this system replicates (GitLab's names). */
export const REGISTRY_MODEL = 'Geo::PackagesNugetSymbolRegistry';
export const REGISTRY_CLASS = 'PACKAGES_NUGET_SYMBOL_REGISTRY';

/** `GeoRegistryAction` and `GeoRegistriesBulkAction` values. */
const SINGLE_ACTION: Readonly<Record<RegistryAction, 'RESYNC' | 'REVERIFY'>> = { resync: 'RESYNC', reverify: 'REVERIFY' };
const BULK_ACTION: Readonly<Record<RegistryAction, 'RESYNC_ALL' | 'REVERIFY_ALL'>> = { resync: 'RESYNC_ALL', reverify: 'REVERIFY_ALL' };

const GID = new RegExp(`^gid://gitlab/${REGISTRY_MODEL}/([1-9][0-9]*)$`);

/**
 * The operand as the mutation's `registryId`: a registry id (`5`) or its global id
 * (`gid://gitlab/Geo::PackagesNugetSymbolRegistry/5`, as the GraphQL API and admin page show it).
 */
export function registryGlobalId(operand: string): string {
  const match = /^[1-9][0-9]*$/.test(operand) ? operand : GID.exec(operand)?.[1];
  if (match === undefined || !Number.isSafeInteger(Number(match))) {
    throw new ValidationError(`registry id must be a positive whole number or gid://gitlab/${REGISTRY_MODEL}/N, got ${JSON.stringify(operand)}`);
  }
  return `gid://gitlab/${REGISTRY_MODEL}/${Number(match)}`;
}

export const UPDATE_MUTATION = `mutation GeoRegistriesUpdate($registryId: GeoBaseRegistryID!, $action: GeoRegistryAction!) {
  geoRegistriesUpdate(input: { registryId: $registryId, action: $action }) {
    errors
    registry {
      ... on PackagesNugetSymbolRegistry { id state verificationState lastSyncedAt verifiedAt lastSyncFailure verificationFailure }
    }
  }
}`;

export const BULK_MUTATION = `mutation GeoRegistriesBulkUpdate($registryClass: GeoRegistryClass!, $action: GeoRegistriesBulkAction!) {
  geoRegistriesBulkUpdate(input: { registryClass: $registryClass, action: $action }) {
    errors
    registryClass
  }
}`;

/** The site the gateway belongs to (`name` defaults to the node being asked). */
export const CURRENT_NODE_QUERY = 'query GeoCurrentNode { geoNode { id name primary } }';

export function updateVariables(action: RegistryAction, registryId: string): Record<string, string> {
  return { registryId, action: SINGLE_ACTION[action] };
}

export function bulkVariables(action: RegistryAction): Record<string, string> {
  return { registryClass: REGISTRY_CLASS, action: BULK_ACTION[action] };
}

export interface RegistryJson {
  readonly id: string;
  readonly state: string | null;
  readonly verificationState: string | null;
  readonly lastSyncedAt: string | null;
  readonly verifiedAt: string | null;
  readonly lastSyncFailure: string | null;
  readonly verificationFailure: string | null;
}

export interface UpdateData {
  readonly geoRegistriesUpdate: { readonly errors: readonly string[]; readonly registry: RegistryJson | null } | null;
}

export interface BulkData {
  readonly geoRegistriesBulkUpdate: { readonly errors: readonly string[]; readonly registryClass: string | null } | null;
}

export interface CurrentNodeData {
  readonly geoNode: { readonly id: string; readonly name: string | null; readonly primary: boolean | null } | null;
}

/** `gid://gitlab/GeoNode/2` → 2; null for anything else. */
export function geoNodeIdOf(data: CurrentNodeData): number | null {
  const match = /^gid:\/\/gitlab\/GeoNode\/([1-9][0-9]*)$/.exec(data.geoNode?.id ?? '');
  return match === null ? null : Number(match[1]);
}

/** GitLab's success messages (`Geo::RegistryUpdateService`). */
const ENQUEUED: Readonly<Record<RegistryAction, string>> = { resync: 'enqueued to be resynced', reverify: 'enqueued to be reverified' };

/** What a single action prints: GitLab's message and the registry as it stands now. */
export function updatedLines(action: RegistryAction, registry: RegistryJson | null, registryId: string): string[] {
  const lines = [`Registry entry ${registryId} ${ENQUEUED[action]}`];
  if (registry !== null) {
    lines.push(`  state ${registry.state ?? '-'}, last synced ${registry.lastSyncedAt ?? 'never'}; verification ${registry.verificationState ?? '-'}, verified ${registry.verifiedAt ?? 'never'}`);
    if (registry.lastSyncFailure !== null) lines.push(`  last sync failure: ${registry.lastSyncFailure}`);
    if (registry.verificationFailure !== null) lines.push(`  verification failure: ${registry.verificationFailure}`);
  }
  return lines;
}

/** What a bulk action prints once the mutation is accepted. */
export function bulkEnqueuedLine(action: RegistryAction): string {
  return action === 'resync' ? `Every ${REGISTRY_CLASS} registry was marked for resync` : `Every synced ${REGISTRY_CLASS} registry was marked for reverification`;
}
