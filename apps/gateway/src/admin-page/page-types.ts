import type { ReplicableDefinition } from '@geo/domain';

/** What the admin page needs to know about a replicable type to render it and query its registries. */
export type PageReplicable = Pick<ReplicableDefinition, 'name' | 'pluralName' | 'title' | 'graphqlRegistryType' | 'graphqlRegistryClass'>;

/** One entry of `/admin/geo/replicables.json`. */
export interface PageTypeJson {
  /** `packages_nuget_symbol`. */
  readonly name: string;
  /** Prefix of the type's GeoSiteStatus fields: `packages_nuget_symbols` → `packages_nuget_symbols_synced_count`. */
  readonly statusPrefix: string;
  readonly title: { readonly one: string; readonly many: string };
  /** The `GeoNode` connection field: `packagesNugetSymbolRegistries` (GitLab's naming). */
  readonly registriesField: string;
  /** The `GeoRegistryClass` enum value for `geoRegistriesBulkUpdate`: `PACKAGES_NUGET_SYMBOL_REGISTRY`. */
  readonly registryClass: string;
}

/**
 * GitLab names a type's registry connection after its registry type, camel-cased and pluralised:
 * `PackagesNugetSymbolRegistry` → `packagesNugetSymbolRegistries` (ee/app/graphql/types/geo/geo_node_type.rb).
 */
export function registriesFieldName(graphqlRegistryType: string): string {
  if (!graphqlRegistryType.endsWith('Registry')) throw new Error(`a GraphQL registry type ends with "Registry", got ${JSON.stringify(graphqlRegistryType)}`);
  const camel = graphqlRegistryType.charAt(0).toLowerCase() + graphqlRegistryType.slice(1);
  return `${camel.slice(0, -'Registry'.length)}Registries`;
}

/** The catalogue as the page reads it: the page itself hard-codes no type. */
export function pageTypesJson(replicables: readonly PageReplicable[]): PageTypeJson[] {
  return replicables.map((r) => ({
    name: r.name,
    statusPrefix: r.pluralName,
    title: { one: r.title.one, many: r.title.many },
    registriesField: registriesFieldName(r.graphqlRegistryType),
    registryClass: r.graphqlRegistryClass,
  }));
}
