import { mappingPgErrors } from '@geo/pg';
import type { Pool } from 'pg';
import type { NamespaceRecord } from '../domain/model';
import type { NamespaceRepository, NewNamespace } from '../ports';
import { toId } from './sql-values';

interface NamespaceDbRow {
  id: string;
  name: string;
  path: string;
  parent_id: string | null;
  full_path: string;
}

function fromDb(row: NamespaceDbRow): NamespaceRecord {
  return {
    id: toId(row.id, 'namespaces.id'),
    name: row.name,
    path: row.path,
    parentId: row.parent_id === null ? null : toId(row.parent_id, 'namespaces.parent_id'),
    fullPath: row.full_path,
  };
}

/**
 * Every group with its full path, built top-down by a recursive CTE (`acme`, `acme/platform`, …).
 * Only groups (`type = 'Group'`): user namespaces are not managed here.
 */
const WITH_FULL_PATHS = `WITH RECURSIVE tree AS (
    SELECT id, name, path, parent_id, path::text AS full_path FROM namespaces WHERE parent_id IS NULL AND type = 'Group'
    UNION ALL
    SELECT n.id, n.name, n.path, n.parent_id, tree.full_path || '/' || n.path
    FROM namespaces n JOIN tree ON n.parent_id = tree.id
    WHERE n.type = 'Group'
  )`;

export class PgNamespaceRepository implements NamespaceRepository {
  constructor(private readonly pool: Pool) {}

  create(input: NewNamespace): Promise<NamespaceRecord> {
    return mappingPgErrors('insert namespaces', async () => {
      const inserted = await this.pool.query<{ id: string }>(
        "INSERT INTO namespaces (name, path, parent_id, type) VALUES ($1, $2, $3, 'Group') RETURNING id",
        [input.name, input.path, input.parentId],
      );
      const id = inserted.rows[0]?.id;
      if (id === undefined) throw new Error('INSERT … RETURNING returned no row');
      const created = await this.get(toId(id, 'namespaces.id'));
      if (created === null) throw new Error(`namespace ${id} vanished right after its insert`);
      return created;
    });
  }

  get(id: number): Promise<NamespaceRecord | null> {
    return mappingPgErrors('read namespaces', async () => {
      const result = await this.pool.query<NamespaceDbRow>(`${WITH_FULL_PATHS} SELECT id, name, path, parent_id, full_path FROM tree WHERE id = $1`, [id]);
      const row = result.rows[0];
      return row === undefined ? null : fromDb(row);
    });
  }

  list(): Promise<NamespaceRecord[]> {
    return mappingPgErrors('list namespaces', async () => {
      const result = await this.pool.query<NamespaceDbRow>(`${WITH_FULL_PATHS} SELECT id, name, path, parent_id, full_path FROM tree ORDER BY id`);
      return result.rows.map(fromDb);
    });
  }
}
