import type { ReplicableDefinition } from '@geo/domain';
import { packagesNugetSymbol } from './packages-nuget-symbol';

export { packagesNugetSymbol };

/** The catalogue. Adding a type: one definition file, one entry here, one generated migration. */
export const REPLICABLES = [packagesNugetSymbol] as const;

export type ReplicableName = (typeof REPLICABLES)[number]['name'];

export function replicableByName(name: string): ReplicableDefinition | undefined {
  return REPLICABLES.find((r) => r.name === name);
}
