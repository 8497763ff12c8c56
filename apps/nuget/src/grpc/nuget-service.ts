import { wrapClientStream, wrapServerStream, wrapUnary } from '@geo/grpc';
import { withSpan } from '@geo/otel';
import type { PackageLimits } from '@geo/nuget-format';
import type { DownloadSymbolFileResponse, NugetServiceServer, PushPackageRequest, PushPackageResponse } from '@geo/proto';
import type { BlobStore } from '@geo/storage';
import type { LoggerPort } from '@geo/domain';
import type { FileStore } from '../domain/model';
import type { NamespaceRepository, PackageStore, ProjectRepository, SymbolIndex } from '../ports';
import { deletePackage } from '../use-cases/delete-package';
import { createNamespace, listNamespaces } from '../use-cases/namespaces';
import { createProject, getProject, listProjects } from '../use-cases/projects';
import { pushPackage } from '../use-cases/push-package';
import { pushSymbolPackage } from '../use-cases/push-symbol-package';
import { findSymbolFile, openSymbolFile, type SymbolFileDeps } from '../use-cases/symbol-files';
import { cancellationSignal } from './cancellation-signal';
import { correlationIdOf } from './correlation';
import { toProtoNamespace, toProtoProject, toProtoSymbolFile, toSymbolFileRequest } from './mappers';
import { receivePackageUpload } from './package-upload';

/** Everything the NuGet gRPC service needs, built once by the wiring. */
export interface NugetServiceDeps {
  readonly store: PackageStore;
  readonly index: SymbolIndex;
  readonly namespaces: NamespaceRepository;
  readonly projects: ProjectRepository;
  readonly blobs: BlobStore;
  readonly limits: PackageLimits;
  readonly fileStore: FileStore;
  readonly logger: LoggerPort;
}

/** The symbol server's two methods; the same on both roles (only the index behind them differs). */
export function symbolFileHandlers(deps: SymbolFileDeps & { readonly logger: LoggerPort }): Pick<NugetServiceServer, 'findSymbolFile' | 'downloadSymbolFile'> {
  const options = { logger: deps.logger };
  return {
    findSymbolFile: wrapUnary(async (request) => ({ symbolFile: toProtoSymbolFile(await findSymbolFile(deps, toSymbolFileRequest(request))) }), options),

    downloadSymbolFile: wrapServerStream(async function* (request): AsyncGenerator<DownloadSymbolFileResponse> {
      const download = await openSymbolFile(deps, toSymbolFileRequest(request));
      try {
        yield { part: { $case: 'header', header: toProtoSymbolFile(download.symbol) } };
        for await (const chunk of download.chunks) yield { part: { $case: 'chunk', chunk } };
      } finally {
        download.close();
      }
    }, options),
  };
}

/**
 * `geo.v1.NugetService`: thin handlers mapping proto ↔ use cases. Errors are thrown as `GeoError`s
 * and become statuses (with `geo-error-code`) in the wrappers.
 */
export function createNugetService(deps: NugetServiceDeps): NugetServiceServer {
  const options = { logger: deps.logger };
  return {
    pushPackage: wrapClientStream<PushPackageRequest, PushPackageResponse>(
      (messages, call) =>
        withSpan('nuget.push_package', async (span) => {
          const upload = await receivePackageUpload(messages, deps.limits.maxPackageBytes);
          const signal = cancellationSignal(call);
          const { projectId, apiKey } = upload.header;
          span.setAttributes({ 'geo.project_id': projectId, 'nuget.package_kind': upload.kind, 'nuget.package_bytes': upload.bytes.byteLength });
          if (upload.kind === 'nupkg') {
            const pkg = await pushPackage(deps, { projectId, apiKey, bytes: upload.bytes, signal });
            span.setAttributes({ 'nuget.package_id': pkg.id });
            return { packageId: pkg.id, name: pkg.name, version: pkg.version, symbolFiles: [] };
          }
          const result = await pushSymbolPackage(deps, { projectId, apiKey, bytes: upload.bytes, correlationId: correlationIdOf(call.metadata), signal });
          span.setAttributes({ 'nuget.package_id': result.package.id, 'nuget.symbol_count': result.symbols.length });
          return {
            packageId: result.package.id,
            name: result.package.name,
            version: result.package.version,
            symbolFiles: result.symbols.map(toProtoSymbolFile),
          };
        }),
      options,
    ),

    ...symbolFileHandlers(deps),

    deletePackage: wrapUnary(async (request, call) => {
      const result = await deletePackage(deps, {
        projectId: request.projectId,
        apiKey: request.apiKey,
        packageName: request.packageName,
        packageVersion: request.packageVersion,
        correlationId: correlationIdOf(call.metadata),
      });
      return { packageId: result.packageId, deletedSymbolCount: result.deletedSymbolCount };
    }, options),

    createNamespace: wrapUnary(async (request) => {
      const namespace = await createNamespace(deps.namespaces, { name: request.name, path: request.path, parentId: request.parentId ?? null });
      return { namespace: toProtoNamespace(namespace) };
    }, options),

    listNamespaces: wrapUnary(async () => ({ namespaces: (await listNamespaces(deps.namespaces)).map(toProtoNamespace) }), options),

    createProject: wrapUnary(async (request) => {
      const created = await createProject(deps, {
        name: request.name,
        path: request.path,
        namespaceId: request.namespaceId,
        repositoryStorage: request.repositoryStorage,
      });
      return { project: toProtoProject(created.project), nugetApiKey: created.nugetApiKey };
    }, options),

    getProject: wrapUnary(async (request) => ({ project: toProtoProject(await getProject(deps.projects, request.id)) }), options),

    listProjects: wrapUnary(async () => ({ projects: (await listProjects(deps.projects)).map(toProtoProject) }), options),
  };
}
