import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { isGeoError } from '@geo/domain';
import { parseBaseRegistryId, parseNugetSymbolRegistryId, type GlobalId } from './global-id';

/**
 * GitLab's `Time`: ISO 8601 as Ruby's `Time#iso8601` prints it (whole seconds, `Z` for UTC), e.g.
 * "2026-12-08T01:20:00Z". Inputs accept any ISO 8601 string.
 */
export function formatTime(value: Date): string {
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseTime(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`${JSON.stringify(value)} is not a valid ISO 8601 time`);
  return date;
}

export const TimeScalar = new GraphQLScalarType<Date, string>({
  name: 'Time',
  serialize(value) {
    if (value instanceof Date) return formatTime(value);
    if (typeof value === 'string') return formatTime(parseTime(value));
    throw new GraphQLError(`Time cannot represent ${JSON.stringify(value)}`);
  },
  parseValue: parseTime,
  parseLiteral: (ast: ValueNode) => parseTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** A global-id scalar: strings in and out; inputs are parsed to `GlobalId` (GitLab's messages on a bad one). */
function globalIdScalar(name: string, parse: (value: string) => GlobalId): GraphQLScalarType<GlobalId, string> {
  const coerce = (value: unknown): GlobalId => {
    if (typeof value !== 'string') throw new GraphQLError(`${JSON.stringify(value)} is not a valid Global ID`);
    try {
      return parse(value);
    } catch (error) {
      throw isGeoError(error) ? new GraphQLError(error.message) : error;
    }
  };
  return new GraphQLScalarType<GlobalId, string>({
    name,
    serialize(value) {
      if (typeof value === 'string') return value;
      throw new GraphQLError(`${name} cannot represent ${JSON.stringify(value)}`);
    },
    parseValue: coerce,
    parseLiteral: (ast: ValueNode) => coerce(ast.kind === Kind.STRING ? ast.value : undefined),
  });
}

export const GeoBaseRegistryIdScalar = globalIdScalar('GeoBaseRegistryID', parseBaseRegistryId);
export const NugetSymbolRegistryIdScalar = globalIdScalar('GeoPackagesNugetSymbolRegistryID', parseNugetSymbolRegistryId);
