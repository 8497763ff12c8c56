import { NotFoundError, UnauthenticatedError } from '@geo/domain';
import { nugetApiKeyMatches } from '../domain/api-key';
import type { PackageStore } from '../ports';

/**
 * The push/delete gate, in GitLab's order: the project must exist (404), then the `X-NuGet-ApiKey`
 * must be the project's key (401). Nothing about the package is looked at before this passes.
 */
export async function authenticateProject(store: PackageStore, projectId: number, apiKey: string): Promise<void> {
  const project = await store.findProjectCredentials(projectId);
  if (project === null) throw new NotFoundError(`Project ${projectId} not found`, { details: { projectId } });
  if (apiKey === '') throw new UnauthenticatedError('Missing NuGet API key (X-NuGet-ApiKey)', { details: { projectId } });
  if (!nugetApiKeyMatches(apiKey, project.nugetApiKeyDigest)) {
    throw new UnauthenticatedError(`The NuGet API key is not valid for project ${projectId}`, { details: { projectId } });
  }
}
