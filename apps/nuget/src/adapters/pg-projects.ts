import { mappingPgErrors } from '@geo/pg';
import type { Pool } from 'pg';
import type { ProjectRecord } from '../domain/model';
import type { NewProject, ProjectRepository } from '../ports';
import { toId } from './sql-values';

interface ProjectDbRow {
  id: string;
  name: string;
  path: string;
  namespace_id: string;
  repository_storage: string;
  path_with_namespace: string;
}

function fromDb(row: ProjectDbRow): ProjectRecord {
  return {
    id: toId(row.id, 'projects.id'),
    name: row.name,
    path: row.path,
    namespaceId: toId(row.namespace_id, 'projects.namespace_id'),
    pathWithNamespace: row.path_with_namespace,
    repositoryStorage: row.repository_storage,
  };
}

/**
 * Projects with `path_with_namespace` = the group's full path + `/` + the project path. The group
 * chain is walked upwards per project (a few levels), so single-project reads stay cheap.
 */
const SELECT_PROJECTS = `SELECT p.id, p.name, p.path, p.namespace_id, p.repository_storage,
    (WITH RECURSIVE up AS (
       SELECT n.id, n.parent_id, n.path::text AS full_path FROM namespaces n WHERE n.id = p.namespace_id
       UNION ALL
       SELECT n.id, n.parent_id, n.path || '/' || up.full_path FROM namespaces n JOIN up ON n.id = up.parent_id
     ) SELECT full_path FROM up WHERE parent_id IS NULL) || '/' || p.path AS path_with_namespace
  FROM projects p`;

export class PgProjectRepository implements ProjectRepository {
  constructor(private readonly pool: Pool) {}

  create(input: NewProject): Promise<ProjectRecord> {
    return mappingPgErrors('insert projects', async () => {
      const inserted = await this.pool.query<{ id: string }>(
        `INSERT INTO projects (name, path, namespace_id, repository_storage, nuget_api_key_digest) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [input.name, input.path, input.namespaceId, input.repositoryStorage, input.nugetApiKeyDigest],
      );
      const id = inserted.rows[0]?.id;
      if (id === undefined) throw new Error('INSERT … RETURNING returned no row');
      const project = await this.get(toId(id, 'projects.id'));
      if (project === null) throw new Error(`project ${id} vanished right after its insert`);
      return project;
    });
  }

  get(id: number): Promise<ProjectRecord | null> {
    return mappingPgErrors('read projects', async () => {
      const result = await this.pool.query<ProjectDbRow>(`${SELECT_PROJECTS} WHERE p.id = $1`, [id]);
      const row = result.rows[0];
      return row === undefined ? null : fromDb(row);
    });
  }

  list(): Promise<ProjectRecord[]> {
    return mappingPgErrors('list projects', async () => {
      const result = await this.pool.query<ProjectDbRow>(`${SELECT_PROJECTS} ORDER BY p.id`);
      return result.rows.map(fromDb);
    });
  }
}
