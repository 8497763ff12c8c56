import { ErrorCodes, GeoError, isGeoError, NotFoundError } from '@geo/domain';
import { generateNugetApiKey, nugetApiKeyDigest } from '../domain/api-key';
import type { ProjectRecord } from '../domain/model';
import { validateId, validateName, validatePath, validateRepositoryStorage } from '../domain/names';
import type { NamespaceRepository, ProjectRepository } from '../ports';

export interface CreateProjectInput {
  readonly name: string;
  readonly path: string;
  readonly namespaceId: number;
  /** Empty: `default`. */
  readonly repositoryStorage: string;
}

export interface CreatedProject {
  readonly project: ProjectRecord;
  /** Returned once, here; only its SHA-256 is stored. */
  readonly nugetApiKey: string;
}

/**
 * Creates a project in an existing group (404 otherwise) with a fresh NuGet API key. The path must be
 * free in the group, case-insensitively (409).
 */
export async function createProject(
  repos: { readonly namespaces: NamespaceRepository; readonly projects: ProjectRepository },
  input: CreateProjectInput,
): Promise<CreatedProject> {
  const name = validateName(input.name);
  const path = validatePath(input.path);
  const namespaceId = validateId(input.namespaceId, 'namespace_id');
  const repositoryStorage = validateRepositoryStorage(input.repositoryStorage);
  if ((await repos.namespaces.get(namespaceId)) === null) {
    throw new NotFoundError(`Group ${namespaceId} not found`, { details: { namespaceId } });
  }
  const nugetApiKey = generateNugetApiKey();
  try {
    const project = await repos.projects.create({ name, path, namespaceId, repositoryStorage, nugetApiKeyDigest: nugetApiKeyDigest(nugetApiKey) });
    return { project, nugetApiKey };
  } catch (error: unknown) {
    if (isGeoError(error) && error.code === ErrorCodes.ALREADY_EXISTS) {
      throw new GeoError(ErrorCodes.ALREADY_EXISTS, `Path ${path} has already been taken in group ${namespaceId}`, {
        cause: error,
        details: { path, namespaceId },
      });
    }
    throw error;
  }
}

export async function getProject(projects: ProjectRepository, id: number): Promise<ProjectRecord> {
  const project = await projects.get(validateId(id, 'id'));
  if (project === null) throw new NotFoundError(`Project ${id} not found`, { details: { projectId: id } });
  return project;
}

export async function listProjects(projects: ProjectRepository): Promise<ProjectRecord[]> {
  return projects.list();
}
