import { ValidationError } from '@geo/domain';

/**
 * GitLab's global ids: `gid://gitlab/<Model>/<id>` (GlobalID::Locator, app "gitlab"), e.g.
 * `gid://gitlab/Geo::PackagesNugetSymbolRegistry/5`. Model names are Ruby constant paths.
 */
export interface GlobalId {
  readonly modelName: string;
  readonly id: number;
}

/** The registry model of the one type this system replicates (GitLab `Geo::PackagesNugetSymbolRegistry`). */
export const NUGET_SYMBOL_REGISTRY_MODEL = 'Geo::PackagesNugetSymbolRegistry';
/** GitLab's `GeoNode` model (sites were called nodes). */
export const GEO_NODE_MODEL = 'GeoNode';

const GLOBAL_ID = /^gid:\/\/gitlab\/((?:[A-Z][A-Za-z0-9]*)(?:::[A-Z][A-Za-z0-9]*)*)\/([1-9][0-9]*)$/;
/** Every `Geo::BaseRegistry` subclass is `Geo::<Something>Registry`. */
const GEO_REGISTRY_MODEL = /^Geo::[A-Z][A-Za-z0-9]*Registry$/;

export function toGlobalId(modelName: string, id: number): string {
  return `gid://gitlab/${modelName}/${id}`;
}

/**
 * Parses a global id. VALIDATION for anything else, with GitLab's message
 * (`"<value>" is not a valid Global ID`). Ids beyond 2^53 are refused: registry ids are bigint but
 * never that large here, and a rounded id would name another row.
 */
export function parseGlobalId(value: string): GlobalId {
  const match = GLOBAL_ID.exec(value);
  const id = match === null ? Number.NaN : Number(match[2]);
  if (match === null || !Number.isSafeInteger(id)) throw new ValidationError(`${JSON.stringify(value)} is not a valid Global ID`);
  return { modelName: match[1] ?? '', id };
}

/** A global id of `expected` (a model name, or a pattern of them); GitLab's message otherwise. */
export function parseGlobalIdOf(value: string, expected: string | RegExp, expectedLabel: string): GlobalId {
  const gid = parseGlobalId(value);
  const ok = typeof expected === 'string' ? gid.modelName === expected : expected.test(gid.modelName);
  if (!ok) throw new ValidationError(`${JSON.stringify(value)} does not represent an instance of ${expectedLabel}`);
  return gid;
}

/** `GeoBaseRegistryID`: any Geo registry model (GitLab `Types::GlobalIDType[::Geo::BaseRegistry]`). */
export function parseBaseRegistryId(value: string): GlobalId {
  return parseGlobalIdOf(value, GEO_REGISTRY_MODEL, 'Geo::BaseRegistry');
}

/** `GeoPackagesNugetSymbolRegistryID`. */
export function parseNugetSymbolRegistryId(value: string): GlobalId {
  return parseGlobalIdOf(value, NUGET_SYMBOL_REGISTRY_MODEL, NUGET_SYMBOL_REGISTRY_MODEL);
}
