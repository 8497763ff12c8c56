import { clientStream, serverStream, unary } from '@geo/grpc';
import {
  HealthCheckResponse_ServingStatus,
  type HealthClient,
  type CreateNamespaceRequest,
  type CreateProjectRequest,
  type CreateProjectResponse,
  type DeletePackageRequest,
  type DeletePackageResponse,
  type DownloadSymbolFileRequest,
  type DownloadSymbolFileResponse,
  type FindSymbolFileRequest,
  type Namespace,
  type NugetServiceClient,
  type Project,
  type PushPackageHeader,
  type PushPackageRequest,
  type PushPackageResponse,
  type SymbolFile,
} from '@geo/proto';
import { ErrorCodes, GeoError, UnavailableError } from '@geo/domain';

/** Deadlines of the short calls; pushes and downloads have none (they last as long as the transfer). */
export interface NugetApiTimeouts {
  readonly unaryMs: number;
  readonly healthMs: number;
}

export const DEFAULT_NUGET_API_TIMEOUTS: NugetApiTimeouts = { unaryMs: 30_000, healthMs: 2_000 };

/** The `grpc.health.v1` name the nuget app reports its main service under. */
export const NUGET_HEALTH_SERVICE = 'geo.v1.NugetService';

/**
 * The gateway's view of its site's `nuget` app: promise-shaped calls over the generated gRPC client.
 * Every failure is the `GeoError` the nuget app raised (mapped back from `geo-error-code`), so routes
 * only translate it to an HTTP status. Missing sub-messages in answers are INTERNAL: the contract
 * (proto/geo/v1/nuget.proto) always sets them.
 */
export class NugetApi {
  constructor(
    private readonly client: NugetServiceClient,
    private readonly health: HealthClient,
    private readonly timeouts: NugetApiTimeouts = DEFAULT_NUGET_API_TIMEOUTS,
  ) {}

  /** Streams a package: the header, then `chunks` as they come; `signal` cancels the call (the app then writes nothing). */
  push(header: PushPackageHeader, chunks: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<PushPackageResponse> {
    return clientStream(this.client.pushPackage.bind(this.client), pushMessages(header, chunks), { signal });
  }

  async findSymbolFile(request: FindSymbolFileRequest): Promise<SymbolFile> {
    const response = await unary(this.client.findSymbolFile.bind(this.client), request, { deadlineMs: this.timeouts.unaryMs });
    return required(response.symbolFile, 'FindSymbolFile answer without symbol_file');
  }

  /** The raw download stream: one header message, then chunks (see `symbol-file-routes.ts`). */
  downloadSymbolFile(request: DownloadSymbolFileRequest, signal?: AbortSignal): AsyncGenerator<DownloadSymbolFileResponse, void, undefined> {
    return serverStream(this.client.downloadSymbolFile.bind(this.client), request, { signal });
  }

  deletePackage(request: DeletePackageRequest): Promise<DeletePackageResponse> {
    return unary(this.client.deletePackage.bind(this.client), request, { deadlineMs: this.timeouts.unaryMs });
  }

  async createNamespace(request: CreateNamespaceRequest): Promise<Namespace> {
    const response = await unary(this.client.createNamespace.bind(this.client), request, { deadlineMs: this.timeouts.unaryMs });
    return required(response.namespace, 'CreateNamespace answer without namespace');
  }

  async listNamespaces(): Promise<Namespace[]> {
    return (await unary(this.client.listNamespaces.bind(this.client), {}, { deadlineMs: this.timeouts.unaryMs })).namespaces;
  }

  async createProject(request: CreateProjectRequest): Promise<{ project: Project; nugetApiKey: string }> {
    const response: CreateProjectResponse = await unary(this.client.createProject.bind(this.client), request, { deadlineMs: this.timeouts.unaryMs });
    return { project: required(response.project, 'CreateProject answer without project'), nugetApiKey: response.nugetApiKey };
  }

  async getProject(id: number): Promise<Project> {
    const response = await unary(this.client.getProject.bind(this.client), { id }, { deadlineMs: this.timeouts.unaryMs });
    return required(response.project, 'GetProject answer without project');
  }

  async listProjects(): Promise<Project[]> {
    return (await unary(this.client.listProjects.bind(this.client), {}, { deadlineMs: this.timeouts.unaryMs })).projects;
  }

  /** Resolves when the nuget app reports SERVING; rejects with the reason otherwise. */
  async checkHealth(): Promise<void> {
    const response = await unary(this.health.check.bind(this.health), { service: NUGET_HEALTH_SERVICE }, { deadlineMs: this.timeouts.healthMs });
    if (response.status !== HealthCheckResponse_ServingStatus.SERVING) {
      throw new UnavailableError(`${NUGET_HEALTH_SERVICE} is ${HealthCheckResponse_ServingStatus[response.status] ?? String(response.status)}`);
    }
  }
}

async function* pushMessages(header: PushPackageHeader, chunks: AsyncIterable<Buffer>): AsyncGenerator<PushPackageRequest, void, undefined> {
  yield { part: { $case: 'header', header } };
  for await (const chunk of chunks) yield { part: { $case: 'chunk', chunk } };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new GeoError(ErrorCodes.INTERNAL, `nuget app broke the contract: ${what}`);
  return value;
}
