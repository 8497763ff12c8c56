import { ErrorCodes, GeoError, type LoggerPort } from '@geo/domain';
import { wrapClientStream, wrapUnary } from '@geo/grpc';
import type { NugetServiceServer } from '@geo/proto';
import type { SymbolFileDeps } from '../use-cases/symbol-files';
import { symbolFileHandlers } from './nuget-service';

/** Why a write reaches a secondary: its gateway serves reads; packages are pushed to the primary. */
export const SECONDARY_READ_ONLY_MESSAGE = 'This is a Geo secondary site: it serves symbol files only; push and delete packages, and manage namespaces and projects, on the primary site';

function readOnly(): never {
  throw new GeoError(ErrorCodes.PERMISSION_DENIED, SECONDARY_READ_ONLY_MESSAGE);
}

/**
 * `geo.v1.NugetService` on a secondary: the symbol server over this site's replicas
 * (`ReplicaSymbolIndex`); every write answers PERMISSION_DENIED (HTTP 403) with the reason, instead
 * of touching a database that has none of the primary's tables.
 */
export function createSecondaryNugetService(deps: SymbolFileDeps & { readonly logger: LoggerPort }): NugetServiceServer {
  const options = { logger: deps.logger };
  const refuse = wrapUnary(async () => readOnly(), options);
  return {
    ...symbolFileHandlers(deps),
    pushPackage: wrapClientStream(async () => readOnly(), options),
    deletePackage: refuse,
    createNamespace: refuse,
    listNamespaces: refuse,
    createProject: refuse,
    getProject: refuse,
    listProjects: refuse,
  };
}
