import { mappingPgErrors } from '../errors';
import type { SqlExecutor } from '../transaction';
import { assertPositiveIds } from './assert-ids';
import { toId } from './registry-row-mapping';

/** Propagation fields of a trace (W3C `traceparent`, `tracestate`), as `propagation.inject` writes them. */
export type StoredTraceContext = Readonly<Record<string, string>>;

/**
 * A secondary's `geo_sync_trace_contexts` (ADR 0009): the trace each new pending registry row was
 * created in, kept until the sync scheduler claims the row. Every method is one statement on the
 * given executor (pass the transaction's client to write with the registry change).
 */
export class PgSyncTraceContextRepository {
  constructor(private readonly db: SqlExecutor) {}

  /** Stores (or replaces) the trace context of each model id. */
  async save(replicableName: string, contexts: ReadonlyMap<number, StoredTraceContext>): Promise<void> {
    if (contexts.size === 0) return;
    const ids = [...contexts.keys()];
    assertPositiveIds(ids, 'model record ids');
    await mappingPgErrors('save geo_sync_trace_contexts', () =>
      this.db.query(
        `INSERT INTO geo_sync_trace_contexts (replicable_name, model_record_id, trace_context)
         SELECT $1, id, c FROM unnest($2::bigint[], $3::jsonb[]) AS t(id, c)
         ON CONFLICT (replicable_name, model_record_id) DO UPDATE SET trace_context = EXCLUDED.trace_context, created_at = now()`,
        [replicableName, ids, [...contexts.values()].map((c) => JSON.stringify(c))],
      ),
    );
  }

  /** Removes and returns the trace contexts of these model ids (those that have one). */
  async take(replicableName: string, modelIds: readonly number[]): Promise<Map<number, StoredTraceContext>> {
    if (modelIds.length === 0) return new Map();
    assertPositiveIds(modelIds, 'model record ids');
    return mappingPgErrors('take geo_sync_trace_contexts', async () => {
      const result = await this.db.query<{ model_record_id: string; trace_context: Record<string, string> }>(
        `DELETE FROM geo_sync_trace_contexts WHERE replicable_name = $1 AND model_record_id = ANY($2::bigint[])
         RETURNING model_record_id, trace_context`,
        [replicableName, modelIds],
      );
      return new Map(result.rows.map((r) => [toId(r.model_record_id), r.trace_context]));
    });
  }
}
