import type { DownloadSymbolFileRequest, FindSymbolFileRequest, Namespace, Project, SymbolFile } from '@geo/proto';
import type { NamespaceRecord, ProjectRecord, SymbolRecord } from '../domain/model';
import type { SymbolFileRequest } from '../domain/symbol-query';

/** Proto ↔ domain mapping at the edge (the domain never sees generated types). */

export function toSymbolFileRequest(request: FindSymbolFileRequest | DownloadSymbolFileRequest): SymbolFileRequest {
  return {
    projectId: request.projectId,
    fileName: request.fileName,
    signature: request.signature,
    sameFileName: request.sameFileName,
    symbolChecksum: request.symbolChecksum,
  };
}

export function toProtoSymbolFile(symbol: SymbolRecord): SymbolFile {
  return {
    id: symbol.id,
    projectId: symbol.projectId,
    packageId: symbol.packageId,
    file: symbol.file,
    filePath: symbol.filePath,
    signature: symbol.signature,
    size: symbol.size,
    fileSha256: symbol.fileSha256,
    objectStorageKey: symbol.objectStorageKey,
    createdAt: symbol.createdAt,
  };
}

export function toProtoNamespace(namespace: NamespaceRecord): Namespace {
  return {
    id: namespace.id,
    name: namespace.name,
    path: namespace.path,
    ...(namespace.parentId === null ? {} : { parentId: namespace.parentId }),
    fullPath: namespace.fullPath,
  };
}

export function toProtoProject(project: ProjectRecord): Project {
  return {
    id: project.id,
    name: project.name,
    path: project.path,
    namespaceId: project.namespaceId,
    pathWithNamespace: project.pathWithNamespace,
    repositoryStorage: project.repositoryStorage,
  };
}
