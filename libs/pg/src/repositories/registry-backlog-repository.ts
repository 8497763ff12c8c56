import { encodeSyncState, type ReplicableDefinition } from '@geo/domain';
import { mappingPgErrors } from '../errors';
import { sqlIdentifier } from '../schema/naming';
import type { SqlExecutor } from '../transaction';

const PENDING = encodeSyncState('pending');
const STARTED = encodeSyncState('started');
const FAILED = encodeSyncState('failed');

/**
 * Whether a secondary's scheduler has work for one replicable type (the status app's `sync_stalled`
 * rule, ADR 0007): rows it would claim now (pending, or failed with `retry_at` due, as
 * `claimSyncBatch` selects them) or rows being synced (started).
 *
 * Each branch is an EXISTS that stops at the first row, over the registry's `state` and `retry_at`
 * indexes, so the answer stays cheap at millions of rows.
 */
export class PgRegistryBacklogRepository {
  private readonly table: string;

  constructor(
    private readonly db: SqlExecutor,
    readonly replicable: ReplicableDefinition,
  ) {
    this.table = sqlIdentifier(replicable.registryTable);
  }

  async hasWork(): Promise<boolean> {
    return mappingPgErrors(`read the sync backlog of ${this.table}`, async () => {
      const result = await this.db.query<{ has_work: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${this.table} WHERE state = ${PENDING})
             OR EXISTS (SELECT 1 FROM ${this.table} WHERE state = ${STARTED})
             OR EXISTS (SELECT 1 FROM ${this.table} WHERE state = ${FAILED} AND retry_at < now())
             OR EXISTS (SELECT 1 FROM ${this.table} WHERE state = ${FAILED} AND retry_at IS NULL) AS has_work`,
      );
      return result.rows[0]?.has_work === true;
    });
  }
}
