/**
 * Test double of the nuget app: an in-process NugetService with canned behaviour, recording what the
 * gateway sent. Used by the gateway's specs only (the real app is tested end to end elsewhere).
 */
import type { ServerReadableStream, ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { ErrorCodes, GeoError, NotFoundError, UnauthenticatedError, ValidationError } from '@geo/domain';
import { startGrpcServer, toGrpcStatus, type GrpcServerHandle } from '@geo/grpc';
import {
  NugetServiceService,
  PackageKind,
  type DownloadSymbolFileRequest,
  type DownloadSymbolFileResponse,
  type FindSymbolFileRequest,
  type NugetServiceServer,
  type PushPackageHeader,
  type PushPackageRequest,
  type PushPackageResponse,
  type SymbolFile,
} from '@geo/proto';

export const FAKE_API_KEY = 'good-key';
export const FAKE_CHECKSUM = 'SHA256:d81ef71657dda22aed4a22d29e9c981bede9411ab2722b8c480067ab2180fbd7';
/** Download behaviours, chosen by file name. */
export const FAKE_FILES = {
  ok: 'testdata.pdb',
  /** Sends part of the bytes, then fails. */
  failing: 'broken.pdb',
  /** Announces more bytes than it sends. */
  short: 'short.pdb',
  /** Streams slowly for ever (until cancelled). */
  endless: 'endless.pdb',
} as const;
/** Push outcomes, chosen by the first bytes of the package. */
export const FAKE_PACKAGE_PREFIX = { duplicate: 'DUPLICATE', invalid: 'INVALID', noMatch: 'NOMATCH', tooLarge: 'TOOLARGE' } as const;

/** One PushPackage call as the fake saw it. */
export interface RecordedPush {
  header: PushPackageHeader | undefined;
  bytes: Buffer[];
  /** The client half-closed and the fake answered. */
  completed: boolean;
  cancelled: boolean;
}

export interface FakeNuget {
  readonly server: GrpcServerHandle;
  readonly target: string;
  readonly pushes: RecordedPush[];
  readonly lookups: FindSymbolFileRequest[];
  readonly downloads: Array<{ request: DownloadSymbolFileRequest; cancelled: boolean }>;
  readonly fileBytes: Buffer;
  /** Resolves once `predicate` holds (polled), or rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  reset(): void;
  stop(): Promise<void>;
}

function symbolFile(file: string, size: number): SymbolFile {
  return {
    id: 3,
    projectId: 5,
    packageId: 12,
    file,
    filePath: `lib/net5.0/${file}`,
    signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF',
    size,
    fileSha256: FAKE_CHECKSUM.slice('SHA256:'.length),
    objectStorageKey: 'ab/cd/key',
    createdAt: new Date(0),
  };
}

/** Mirrors the app's rule order: checksum header, then lookup by name + checksum. */
function findFile(request: FindSymbolFileRequest | DownloadSymbolFileRequest, fileBytes: Buffer): SymbolFile {
  if (request.symbolChecksum === '') throw new ValidationError('Missing checksum header');
  if (request.symbolChecksum.toLowerCase() !== FAKE_CHECKSUM.toLowerCase() || request.fileName !== request.sameFileName) {
    throw new NotFoundError('404 Symbol file Not Found');
  }
  return symbolFile(request.fileName, fileBytes.length);
}

function pushOutcome(push: RecordedPush): PushPackageResponse {
  const head = Buffer.concat(push.bytes).subarray(0, 16).toString('latin1');
  if (push.header?.apiKey !== FAKE_API_KEY) throw new UnauthenticatedError('401 Unauthorized');
  if (push.header.projectId === 404) throw new NotFoundError('404 Project Not Found');
  if (head.startsWith(FAKE_PACKAGE_PREFIX.duplicate)) throw new GeoError(ErrorCodes.ALREADY_EXISTS, 'Package TestData 1.2.3 already exists');
  if (head.startsWith(FAKE_PACKAGE_PREFIX.invalid)) throw new ValidationError('Invalid package: the archive has no .nuspec');
  if (head.startsWith(FAKE_PACKAGE_PREFIX.noMatch)) throw new NotFoundError('symbol package is invalid, matching package does not exist');
  if (head.startsWith(FAKE_PACKAGE_PREFIX.tooLarge)) throw new ValidationError('Uncompressed size over the limit', {}, ErrorCodes.TOO_LARGE);
  const symbols = push.header.kind === PackageKind.PACKAGE_KIND_SNUPKG ? [symbolFile('testdata.pdb', 7132)] : [];
  return { packageId: 12, name: 'TestData', version: '1.2.3', symbolFiles: symbols };
}

export async function startFakeNuget(fileBytes: Buffer): Promise<FakeNuget> {
  const pushes: RecordedPush[] = [];
  const lookups: FindSymbolFileRequest[] = [];
  const downloads: Array<{ request: DownloadSymbolFileRequest; cancelled: boolean }> = [];

  const implementation: NugetServiceServer = {
    pushPackage(call: ServerReadableStream<PushPackageRequest, PushPackageResponse>, callback: sendUnaryData<PushPackageResponse>) {
      const push: RecordedPush = { header: undefined, bytes: [], completed: false, cancelled: false };
      pushes.push(push);
      call.on('cancelled', () => (push.cancelled = true));
      call.on('error', () => undefined);
      call.on('data', (message: PushPackageRequest) => {
        if (message.part?.$case === 'header') push.header = message.part.header;
        else if (message.part?.$case === 'chunk') push.bytes.push(Buffer.from(message.part.chunk));
      });
      call.on('end', () => {
        // grpc-js also ends the request stream of a cancelled call and flags `cancelled` only later,
        // so the real app re-checks after its async work; the fake waits a little and re-checks too.
        setTimeout(() => {
          if (call.cancelled) return;
          try {
            const response = pushOutcome(push);
            push.completed = true;
            callback(null, response);
          } catch (error: unknown) {
            callback(toGrpcStatus(error));
          }
        }, 20);
      });
    },

    findSymbolFile(call: ServerUnaryCall<FindSymbolFileRequest, { symbolFile: SymbolFile | undefined }>, callback) {
      lookups.push(call.request);
      try {
        callback(null, { symbolFile: findFile(call.request, fileBytes) });
      } catch (error: unknown) {
        callback(toGrpcStatus(error));
      }
    },

    downloadSymbolFile(call: ServerWritableStream<DownloadSymbolFileRequest, DownloadSymbolFileResponse>) {
      const record = { request: call.request, cancelled: false };
      downloads.push(record);
      call.on('cancelled', () => (record.cancelled = true));
      let header: SymbolFile;
      try {
        header = findFile(call.request, fileBytes);
      } catch (error: unknown) {
        call.emit('error', toGrpcStatus(error));
        return;
      }
      call.write({ part: { $case: 'header', header } });
      const name = call.request.fileName;
      if (name === FAKE_FILES.endless) {
        const timer = setInterval(() => call.write({ part: { $case: 'chunk', chunk: Buffer.alloc(16, 1) } }), 10);
        call.on('cancelled', () => clearInterval(timer));
        return;
      }
      const sent = name === FAKE_FILES.ok ? fileBytes : fileBytes.subarray(0, Math.floor(fileBytes.length / 2));
      for (let i = 0; i < sent.length; i += 1000) call.write({ part: { $case: 'chunk', chunk: sent.subarray(i, i + 1000) } });
      if (name === FAKE_FILES.failing) call.emit('error', toGrpcStatus(new GeoError(ErrorCodes.UNAVAILABLE, 'blob store unreachable')));
      else call.end();
    },

    deletePackage(call, callback) {
      const { apiKey, packageName } = call.request;
      if (apiKey !== FAKE_API_KEY) callback(toGrpcStatus(new UnauthenticatedError('401 Unauthorized')));
      else if (packageName === 'missing') callback(toGrpcStatus(new NotFoundError('404 Package Not Found')));
      else callback(null, { packageId: 12, deletedSymbolCount: 1 });
    },

    createNamespace(call, callback) {
      const { name, path, parentId } = call.request;
      if (path === 'taken') callback(toGrpcStatus(new GeoError(ErrorCodes.ALREADY_EXISTS, 'Path has already been taken')));
      else callback(null, { namespace: { id: 8, name, path, parentId, fullPath: parentId === undefined ? path : `acme/${path}` } });
    },
    listNamespaces(_call, callback) {
      callback(null, { namespaces: [{ id: 1, name: 'Acme', path: 'acme', parentId: undefined, fullPath: 'acme' }] });
    },
    createProject(call, callback) {
      const { name, path, namespaceId, repositoryStorage } = call.request;
      callback(null, {
        project: { id: 5, name, path, namespaceId, pathWithNamespace: `acme/${path}`, repositoryStorage: repositoryStorage || 'default' },
        nugetApiKey: FAKE_API_KEY,
      });
    },
    getProject(call, callback) {
      if (call.request.id !== 5) callback(toGrpcStatus(new NotFoundError('404 Project Not Found')));
      else callback(null, { project: { id: 5, name: 'Lib', path: 'lib', namespaceId: 1, pathWithNamespace: 'acme/lib', repositoryStorage: 'default' } });
    },
    listProjects(_call, callback) {
      callback(null, { projects: [{ id: 5, name: 'Lib', path: 'lib', namespaceId: 1, pathWithNamespace: 'acme/lib', repositoryStorage: 'default' }] });
    },
  };

  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: NugetServiceService, implementation }] });
  return {
    server,
    target: `127.0.0.1:${server.port}`,
    pushes,
    lookups,
    downloads,
    fileBytes,
    async until(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error('condition not reached in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    reset() {
      pushes.length = 0;
      lookups.length = 0;
      downloads.length = 0;
    },
    stop: () => server.shutdown(500),
  };
}
