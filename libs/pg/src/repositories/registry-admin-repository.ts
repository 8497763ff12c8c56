import {
  encodeSyncState,
  encodeVerificationState,
  ErrorCodes,
  GeoError,
  SYNC_TRANSITIONS,
  ValidationError,
  type ReplicableDefinition,
  type SyncState,
  type VerificationState,
} from '@geo/domain';
import { mappingPgErrors } from '../errors';
import { sqlIdentifier } from '../schema/naming';
import type { SqlExecutor } from '../transaction';
import { fromRegistryDbRow, registryColumns, toId, type RegistryDbRow, type StoredRegistryRow } from './registry-row-mapping';
import { assertPositiveIds } from './assert-ids';

/** Which rows a bulk action or a listing covers; every given condition must hold (GraphQL filters). */
export interface RegistryFilter {
  /** Registry row ids (GraphQL `ids`, the registries' global ids); undefined means all. */
  readonly registryIds?: readonly number[];
  /** GraphQL `replicationState`. */
  readonly state?: SyncState;
  /** GraphQL `verificationState`. */
  readonly verificationState?: VerificationState;
}

/** GraphQL `GeoRegistrySort`. */
export const REGISTRY_SORTS = ['id_asc', 'id_desc', 'verified_at_asc', 'verified_at_desc', 'last_synced_at_asc', 'last_synced_at_desc'] as const;
export type RegistrySort = (typeof REGISTRY_SORTS)[number];

/**
 * Keyset position after the last row of a page. `value` is the sort column as PostgreSQL prints it
 * (full microsecond precision, which a JS Date would lose), null for a NULL; unused for id sorts.
 */
export interface RegistryPageCursor {
  readonly value: string | null;
  readonly id: number;
}

export interface ListRegistriesQuery extends RegistryFilter {
  /** Only rows of these model ids (a keyword search's matches); undefined means no restriction. */
  readonly modelIds?: readonly number[];
  /** Default `id_asc`. */
  readonly sort?: RegistrySort;
  /** Rows per page (1..1000). */
  readonly limit: number;
  /** Continue after this position (from the previous page's `next`). Not with `backward`. */
  readonly after?: RegistryPageCursor;
  /**
   * Page backwards (GraphQL `last`/`before`): the `limit` rows just before `before` (the last rows
   * when it is undefined), returned in `sort` order.
   */
  readonly backward?: boolean;
  /** With `backward`: the position to end before. */
  readonly before?: RegistryPageCursor;
  /** Also count every row matching the filters (ignoring the page): GraphQL `count`. */
  readonly withTotalCount?: boolean;
}

export interface RegistryPage {
  readonly rows: readonly StoredRegistryRow[];
  /**
   * Position to continue from; absent when there are no more rows in the paging direction.
   * Forward: the last row's position. Backward: the first row's (continue before it).
   */
  readonly next?: RegistryPageCursor;
  /** Each row's keyset position, in the order of `rows` (GraphQL edge cursors). */
  readonly cursors: readonly RegistryPageCursor[];
  /** Rows matching the filters; only with `withTotalCount`. */
  readonly totalCount?: number;
}

/** What `startSync` found. */
export interface StartSyncResult {
  /** True when this call moved the row to `started`; false when it already was (a download runs). */
  readonly started: boolean;
  readonly row: StoredRegistryRow;
}

/** Rows a bulk action updates per statement (GitLab's bulk services work in batches of 1000). */
export const BULK_UPDATE_BATCH_SIZE = 1000;
/** Largest page `list` returns. */
export const MAX_REGISTRY_PAGE_SIZE = 1000;
/** GitLab `with_search`: `FK IN (model.search(q).limit(1000))`. */
export const KEYWORD_SEARCH_LIMIT = 1000;

const PENDING = encodeSyncState('pending');
const SYNCED = encodeSyncState('synced');
const V_PENDING = encodeVerificationState('verification_pending');
const V_FAILED = encodeVerificationState('verification_failed');
/** `start` is allowed from these states only (never started → started). */
const STARTABLE = SYNC_TRANSITIONS.start.from.map(encodeSyncState);

/** `LIKE` pattern matching `text` anywhere, with its wildcards escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface SortSpec {
  /** Sort column, or undefined for id sorts. */
  readonly column?: 'verified_at' | 'last_synced_at';
  readonly descending: boolean;
}

function sortSpec(sort: RegistrySort): SortSpec {
  switch (sort) {
    case 'id_asc':
      return { descending: false };
    case 'id_desc':
      return { descending: true };
    case 'verified_at_asc':
      return { column: 'verified_at', descending: false };
    case 'verified_at_desc':
      return { column: 'verified_at', descending: true };
    case 'last_synced_at_asc':
      return { column: 'last_synced_at', descending: false };
    case 'last_synced_at_desc':
      return { column: 'last_synced_at', descending: true };
  }
}

/**
 * Operator actions on a secondary's registry (GraphQL `geoRegistriesUpdate`,
 * `geoRegistriesBulkUpdate`, the registries query; spec §2.8, §9). Single-row methods are one
 * statement; bulk methods walk the table in id batches of 1000, one statement each.
 */
export interface RegistryAdminRepository {
  readonly replicable: ReplicableDefinition;
  findByModelId(modelId: number): Promise<StoredRegistryRow | undefined>;
  /**
   * GraphQL RESYNC (GitLab `enqueue_sync` on an immutable blob): the `start` event, from pending,
   * synced or failed, with `last_synced_at = now` (millisecond precision: it is the job's attempt
   * token) and nothing else changed. A row already `started` is returned unchanged with
   * `started: false`; undefined when there is no row.
   */
  startSync(modelId: number, now?: Date): Promise<StartSyncResult | undefined>;
  /**
   * GraphQL RESYNC_ALL: `update_all(state: pending)` on the matching rows that are not pending.
   * Like `update_all` it sets only `state`: retry count, retry time and `last_synced_at` stay.
   */
  resyncAll(filter?: RegistryFilter): Promise<number>;
  /**
   * GraphQL REVERIFY (`verify_async` on a secondary): the registry's `verification_pending` event
   * from any state, with the domain's side effects (failure fields cleared; from failed only the
   * failure text, so the backoff keeps growing). Undefined when there is no row.
   */
  reverify(modelId: number): Promise<StoredRegistryRow | undefined>;
  /**
   * GraphQL REVERIFY_ALL: `update_all(verification_state: pending)` on matching rows that are
   * synced (a registry's verifiables) and not verification-pending. Only that column changes.
   */
  reverifyAll(filter?: RegistryFilter): Promise<number>;
  /** One page of rows with GraphQL's filters and sorts, keyset-paginated. */
  list(query: ListRegistriesQuery): Promise<RegistryPage>;
  /**
   * Model ids whose stored record has an attribute (e.g. the symbol's `file` or `signature`)
   * containing `keyword`, case-insensitively; at most `KEYWORD_SEARCH_LIMIT`, ascending.
   */
  searchModelIds(keyword: string): Promise<number[]>;
}

/** PostgreSQL implementation for one replicable type. */
export class PgRegistryAdminRepository implements RegistryAdminRepository {
  private readonly table: string;
  private readonly fk: string;
  private readonly columns: string;

  constructor(
    private readonly db: SqlExecutor,
    readonly replicable: ReplicableDefinition,
  ) {
    this.table = sqlIdentifier(replicable.registryTable);
    this.fk = sqlIdentifier(replicable.modelForeignKey);
    this.columns = registryColumns(this.fk);
  }

  private async rows(context: string, sql: string, values: unknown[]): Promise<StoredRegistryRow[]> {
    return mappingPgErrors(`${context} ${this.table}`, async () => {
      const result = await this.db.query<RegistryDbRow>(sql, values);
      return result.rows.map(fromRegistryDbRow);
    });
  }

  async findByModelId(modelId: number): Promise<StoredRegistryRow | undefined> {
    assertPositiveIds([modelId]);
    const rows = await this.rows('select', `SELECT ${this.columns} FROM ${this.table} WHERE ${this.fk} = $1`, [modelId]);
    return rows[0];
  }

  async startSync(modelId: number, now?: Date): Promise<StartSyncResult | undefined> {
    assertPositiveIds([modelId]);
    // Update-or-read, retried when the row changed between the two (e.g. a worker finished it).
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const [started] = await this.rows(
        'start',
        `UPDATE ${this.table}
         SET state = ${encodeSyncState('started')},
             last_synced_at = date_trunc('milliseconds', COALESCE($2::timestamptz, now()))
         WHERE ${this.fk} = $1 AND state = ANY($3::smallint[])
         RETURNING ${this.columns}`,
        [modelId, now ?? null, STARTABLE],
      );
      if (started !== undefined) return { started: true, row: started };
      const row = await this.findByModelId(modelId);
      if (row === undefined) return undefined;
      if (row.state === 'started') return { started: false, row };
    }
    throw new GeoError(ErrorCodes.CONFLICT, `registry row of model ${modelId} keeps changing state; try again`, { retryable: true });
  }

  async resyncAll(filter: RegistryFilter = {}): Promise<number> {
    if (filter.state === 'pending') return 0;
    return this.updateInBatches('resync all', `state <> ${PENDING}`, `state = ${PENDING}`, filter);
  }

  async reverify(modelId: number): Promise<StoredRegistryRow | undefined> {
    assertPositiveIds([modelId]);
    // Mirrors the domain's `applyRegistryVerificationTransition(row, { event: 'verification_pending' })`:
    // the right-hand sides read the row's values before this update.
    const [row] = await this.rows(
      'reverify',
      `UPDATE ${this.table} SET
         verification_state = ${V_PENDING},
         verification_failure = NULL,
         verification_retry_count = CASE WHEN verification_state = ${V_FAILED} THEN verification_retry_count ELSE 0 END,
         verification_retry_at = CASE WHEN verification_state = ${V_FAILED} THEN verification_retry_at ELSE NULL END,
         checksum_mismatch = CASE WHEN verification_state = ${V_FAILED} THEN checksum_mismatch ELSE false END,
         verification_checksum_mismatched = CASE WHEN verification_state = ${V_FAILED} THEN verification_checksum_mismatched ELSE NULL END
       WHERE ${this.fk} = $1
       RETURNING ${this.columns}`,
      [modelId],
    );
    return row;
  }

  async reverifyAll(filter: RegistryFilter = {}): Promise<number> {
    if (filter.state !== undefined && filter.state !== 'synced') return 0;
    if (filter.verificationState === 'verification_pending') return 0;
    return this.updateInBatches(
      'reverify all',
      `state = ${SYNCED} AND verification_state <> ${V_PENDING}`,
      `verification_state = ${V_PENDING}`,
      filter,
    );
  }

  async list(query: ListRegistriesQuery): Promise<RegistryPage> {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_REGISTRY_PAGE_SIZE) {
      throw new ValidationError(`page size must be 1..${MAX_REGISTRY_PAGE_SIZE}, got ${query.limit}`);
    }
    if (query.modelIds !== undefined) assertPositiveIds(query.modelIds);
    if (query.backward === true && query.after !== undefined) throw new ValidationError('a backward page cannot start after a cursor');
    const sorted = sortSpec(query.sort ?? 'id_asc');
    // Backward pages walk the exact reverse order (the NULL placement flips with the direction)
    // and are turned round before returning.
    const spec = query.backward === true ? { ...sorted, descending: !sorted.descending } : sorted;
    const from = query.backward === true ? query.before : query.after;
    const values: unknown[] = [];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const where = this.filterConditions(query, param);
    if (query.modelIds !== undefined) where.push(`${this.fk} = ANY(${param(query.modelIds)}::bigint[])`);
    const filtered = [...where];
    const countValues = [...values];
    if (from !== undefined) where.push(this.keysetCondition(spec, from, param));
    const dir = spec.descending ? 'DESC' : 'ASC';
    // NULLs last ascending and first descending (PostgreSQL's defaults), then id as the tie-breaker.
    const order = spec.column === undefined ? `id ${dir}` : `${spec.column} ${dir} NULLS ${spec.descending ? 'FIRST' : 'LAST'}, id ${dir}`;
    const sortValue = spec.column === undefined ? 'NULL::text' : `${spec.column}::text`;
    const limit = param(query.limit + 1);
    const result = await mappingPgErrors(`list ${this.table}`, () =>
      this.db.query<RegistryDbRow & { sort_value: string | null }>(
        `SELECT ${this.columns}, ${sortValue} AS sort_value FROM ${this.table}
         ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
         ORDER BY ${order}
         LIMIT ${limit}`,
        values,
      ),
    );
    const walked = result.rows.slice(0, query.limit);
    const page = query.backward === true ? walked.reverse() : walked;
    const rows = page.map(fromRegistryDbRow);
    const cursors = page.map((row) => ({ value: row.sort_value, id: toId(row.id) }));
    const totalCount = query.withTotalCount === true ? await this.count(filtered, countValues) : undefined;
    const counted = totalCount === undefined ? {} : { totalCount };
    const edge = query.backward === true ? cursors[0] : cursors[cursors.length - 1];
    if (result.rows.length <= query.limit || edge === undefined) return { rows, cursors, ...counted };
    return { rows, cursors, next: edge, ...counted };
  }

  private async count(where: readonly string[], values: readonly unknown[]): Promise<number> {
    const result = await mappingPgErrors(`count ${this.table}`, () =>
      this.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}`, [...values]),
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  async searchModelIds(keyword: string): Promise<number[]> {
    if (keyword === '') return [];
    return mappingPgErrors('search geo_replicable_records', async () => {
      const result = await this.db.query<{ model_record_id: string }>(
        `SELECT model_record_id FROM geo_replicable_records r
         WHERE replicable_name = $1
           AND EXISTS (SELECT 1 FROM jsonb_each_text(r.attributes) AS a WHERE a.value ILIKE $2)
         ORDER BY model_record_id
         LIMIT $3`,
        [this.replicable.name, containsPattern(keyword), KEYWORD_SEARCH_LIMIT],
      );
      return result.rows.map((r) => toId(r.model_record_id));
    });
  }

  /** SQL conditions of a filter; values are appended through `param`. */
  private filterConditions(filter: RegistryFilter, param: (value: unknown) => string): string[] {
    const where: string[] = [];
    if (filter.registryIds !== undefined) {
      assertPositiveIds(filter.registryIds, 'registry ids');
      where.push(`id = ANY(${param(filter.registryIds)}::bigint[])`);
    }
    if (filter.state !== undefined) where.push(`state = ${param(encodeSyncState(filter.state))}::smallint`);
    if (filter.verificationState !== undefined) {
      where.push(`verification_state = ${param(encodeVerificationState(filter.verificationState))}::smallint`);
    }
    return where;
  }

  /** Rows strictly after `after` in the order of `spec` (NULLs last ascending, first descending). */
  private keysetCondition(spec: SortSpec, after: RegistryPageCursor, param: (value: unknown) => string): string {
    assertPositiveIds([after.id], 'cursor id');
    const id = param(after.id);
    const cmp = spec.descending ? '<' : '>';
    if (spec.column === undefined) return `id ${cmp} ${id}`;
    const col = spec.column;
    if (after.value === null) {
      // Ascending: only NULLs are left. Descending: the remaining NULLs, then every non-NULL.
      return spec.descending ? `((${col} IS NULL AND id < ${id}) OR ${col} IS NOT NULL)` : `(${col} IS NULL AND id > ${id})`;
    }
    const value = `${param(after.value)}::timestamptz`;
    const nonNull = `(${col} ${cmp} ${value} OR (${col} = ${value} AND id ${cmp} ${id}))`;
    return spec.descending ? `(${col} IS NOT NULL AND ${nonNull})` : `(${nonNull} OR ${col} IS NULL)`;
  }

  /**
   * `update_all` in id batches: each statement picks the next `BULK_UPDATE_BATCH_SIZE` matching
   * rows after the cursor and sets `assignment` on those still matching once locked.
   */
  private async updateInBatches(context: string, eligible: string, assignment: string, filter: RegistryFilter): Promise<number> {
    if (filter.registryIds !== undefined && filter.registryIds.length === 0) return 0;
    let affected = 0;
    let cursor = 0;
    for (;;) {
      const values: unknown[] = [cursor, BULK_UPDATE_BATCH_SIZE];
      const param = (value: unknown): string => {
        values.push(value);
        return `$${values.length}`;
      };
      const conditions = [eligible, ...this.filterConditions(filter, param)].join(' AND ');
      const step = await mappingPgErrors(`${context} ${this.table}`, async () => {
        // The cursor follows the scanned batch, not the updated rows, so rows changed meanwhile
        // cannot end the walk early.
        const result = await this.db.query<{ last_id: string | null; updated: string }>(
          `WITH batch AS (
             SELECT id FROM ${this.table} WHERE id > $1 AND ${conditions} ORDER BY id LIMIT $2
           ), updated AS (
             UPDATE ${this.table} SET ${assignment}
             WHERE id IN (SELECT id FROM batch) AND ${conditions}
             RETURNING 1
           )
           SELECT (SELECT max(id) FROM batch) AS last_id, (SELECT count(*) FROM updated) AS updated`,
          values,
        );
        return result.rows[0];
      });
      affected += Number(step?.updated ?? 0);
      if (step?.last_id == null) return affected;
      cursor = toId(step.last_id);
    }
  }
}
