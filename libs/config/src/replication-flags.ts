import type { AppConfig } from './app-config';

/**
 * GitLab's `geo_<name>_replication` flag of a replicable type (`GEO_<NAME>_REPLICATION`): off for
 * a type the configuration does not know, so a new type is never replicated by accident.
 */
export function replicationEnabled(config: Pick<AppConfig, 'replication'>): (name: string) => boolean {
  const flags: Readonly<Record<string, { readonly enabled: boolean } | undefined>> = config.replication;
  return (name) => flags[name]?.enabled === true;
}
