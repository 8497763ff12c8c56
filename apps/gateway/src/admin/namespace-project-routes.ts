import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireAdminToken, type AdminTokens } from '../http/admin-auth';
import { parseJsonBody, positiveId, requiredText } from '../http/json-body';
import { parseId } from '../http/route-params';
import type { NugetApi } from '../nuget/nuget-api';
import { namespaceJson, projectJson } from './namespace-project-json';

export interface NamespaceProjectRoutesOptions {
  readonly nuget: NugetApi;
  readonly tokens: AdminTokens;
}

const createNamespaceBody = z.strictObject({
  name: requiredText(),
  path: requiredText(),
  parent_id: positiveId.nullable().optional(),
});

const createProjectBody = z.strictObject({
  name: requiredText(),
  path: requiredText(),
  namespace_id: positiveId,
  repository_storage: requiredText().optional(),
});

/**
 * Admin API for the groups and projects that own packages (so selective sync has real data): thin
 * adapters onto the nuget app, which owns the tables and their rules. Shapes follow GitLab's
 * entities; the project's NuGet API key appears once, in the creation answer.
 */
export async function namespaceProjectRoutes(app: FastifyInstance, options: NamespaceProjectRoutesOptions): Promise<void> {
  const { nuget } = options;
  app.addHook('onRequest', requireAdminToken(options.tokens));

  app.post('/api/v4/namespaces', async (request, reply) => {
    const body = parseJsonBody(createNamespaceBody, request.body);
    const namespace = await nuget.createNamespace({ name: body.name, path: body.path, parentId: body.parent_id ?? undefined });
    return reply.code(201).send(namespaceJson(namespace));
  });

  app.get('/api/v4/namespaces', async () => (await nuget.listNamespaces()).map(namespaceJson));

  app.post('/api/v4/projects', async (request, reply) => {
    const body = parseJsonBody(createProjectBody, request.body);
    const { project, nugetApiKey } = await nuget.createProject({
      name: body.name,
      path: body.path,
      namespaceId: body.namespace_id,
      repositoryStorage: body.repository_storage ?? '',
    });
    return reply.code(201).send({ ...projectJson(project), nuget_api_key: nugetApiKey });
  });

  app.get('/api/v4/projects', async () => (await nuget.listProjects()).map(projectJson));

  app.get('/api/v4/projects/:id', async (request: FastifyRequest<{ Params: { id: string } }>) =>
    projectJson(await nuget.getProject(parseId(request.params.id, 'id'))),
  );
}
