import { errorFields, NotFoundError, UnavailableError, ValidationError, type LoggerPort, type ReplicableDefinition } from '@geo/domain';
import type { RegistryAdminRepository, RegistryFilter, RegistryListSort, RegistryPage, RegistryPageCursor, StoredRegistryRow } from '@geo/pg';
import type { NudgePublisher } from './nudges';
import type { SyncJobPublisher } from './sync-job-publisher';

/** One replicable type the admin can act on. */
export interface RegistryAdminType {
  readonly replicable: ReplicableDefinition;
  readonly repository: RegistryAdminRepository;
}

export interface RegistryAdminOptions {
  readonly types: readonly RegistryAdminType[];
  /** The site's sync work queue (single resyncs publish their job at once). */
  readonly jobs: SyncJobPublisher;
  /** Wakes the scheduler after a bulk resync. */
  readonly nudges?: NudgePublisher;
  readonly logger: LoggerPort;
}

export interface ListRegistriesInput extends RegistryFilter {
  /** Searches the stored records' attributes; empty or undefined means no search. */
  readonly keyword?: string;
  readonly sort: RegistryListSort;
  readonly pageSize: number;
  readonly after?: RegistryPageCursor;
  /** Page backwards: the rows just before `before` (the last rows when undefined). */
  readonly backward?: boolean;
  readonly before?: RegistryPageCursor;
  /** Also count every matching row (GraphQL `count`). */
  readonly withTotalCount?: boolean;
}

/**
 * Operator actions on this secondary's registries (GraphQL `geoRegistriesUpdate`,
 * `geoRegistriesBulkUpdate` and the registries query, spec §2.8 and §9), for any type of the site.
 */
export class RegistryAdmin {
  private readonly types: ReadonlyMap<string, RegistryAdminType>;

  constructor(private readonly options: RegistryAdminOptions) {
    this.types = new Map(options.types.map((t) => [t.replicable.name, t]));
  }

  /**
   * RESYNC (GitLab `enqueue_sync` for an immutable blob): the row is started at once (from pending,
   * synced or failed; no pending step) and its job published, bypassing the scheduler's capacity
   * like GitLab's direct enqueue. A row already `started` has a download running: it is returned
   * unchanged and nothing is published. If the job cannot be published the row stays started and
   * the scheduler publishes it again once it counts as stalled; the caller gets UNAVAILABLE.
   */
  async resync(replicableName: string, modelRecordId: number): Promise<StoredRegistryRow> {
    const { repository } = this.type(replicableName);
    const result = await repository.startSync(modelRecordId);
    if (result === undefined) throw notFound(replicableName, modelRecordId);
    if (!result.started) return result.row;
    const attempt = result.row.lastSyncedAt;
    if (attempt === null) throw new ValidationError(`registry row of model ${modelRecordId} was started without last_synced_at`);
    try {
      await this.options.jobs.publishJob({ replicableName, modelRecordId, attempt });
    } catch (error) {
      this.options.logger.warn({ ...errorFields(error), replicable: replicableName, modelRecordId }, 'registry: resync job not published');
      throw new UnavailableError(
        `registry entry ${replicableName} ${modelRecordId} was started but its sync job could not be queued; the scheduler queues it again later`,
        { cause: error },
      );
    }
    return result.row;
  }

  /** RESYNC_ALL: matching non-pending rows become pending (update_all); the scheduler is nudged. */
  async resyncAll(replicableName: string, filter: RegistryFilter = {}): Promise<number> {
    const affected = await this.type(replicableName).repository.resyncAll(filter);
    if (affected > 0) this.options.nudges?.nudge();
    this.options.logger.info({ replicable: replicableName, affected, filter }, 'registry: registries marked for resync');
    return affected;
  }

  /** REVERIFY: the registry's verification becomes pending (the secondary checksum worker picks it up). */
  async reverify(replicableName: string, modelRecordId: number): Promise<StoredRegistryRow> {
    const row = await this.type(replicableName).repository.reverify(modelRecordId);
    if (row === undefined) throw notFound(replicableName, modelRecordId);
    return row;
  }

  /** REVERIFY_ALL: matching synced rows not verification-pending become verification-pending. */
  async reverifyAll(replicableName: string, filter: RegistryFilter = {}): Promise<number> {
    const affected = await this.type(replicableName).repository.reverifyAll(filter);
    this.options.logger.info({ replicable: replicableName, affected, filter }, 'registry: registries marked for reverification');
    return affected;
  }

  /** One page of registries with GraphQL's filters, keyword search and sorts. */
  async list(replicableName: string, input: ListRegistriesInput): Promise<RegistryPage> {
    const { repository } = this.type(replicableName);
    let modelIds: number[] | undefined;
    if (input.keyword !== undefined && input.keyword !== '') {
      modelIds = await repository.searchModelIds(input.keyword);
      if (modelIds.length === 0) return { rows: [], cursors: [], ...(input.withTotalCount === true ? { totalCount: 0 } : {}) };
    }
    return repository.list({
      ...(input.registryIds === undefined ? {} : { registryIds: input.registryIds }),
      ...(input.state === undefined ? {} : { state: input.state }),
      ...(input.verificationState === undefined ? {} : { verificationState: input.verificationState }),
      ...(modelIds === undefined ? {} : { modelIds }),
      ...(input.after === undefined ? {} : { after: input.after }),
      ...(input.backward === true ? { backward: true } : {}),
      ...(input.before === undefined ? {} : { before: input.before }),
      ...(input.withTotalCount === true ? { withTotalCount: true } : {}),
      sort: input.sort,
      limit: input.pageSize,
    });
  }

  private type(replicableName: string): RegistryAdminType {
    const type = this.types.get(replicableName);
    if (type === undefined) throw new ValidationError(`unknown replicable ${JSON.stringify(replicableName)}`);
    return type;
  }
}

function notFound(replicableName: string, modelRecordId: number): NotFoundError {
  return new NotFoundError(`no ${replicableName} registry for model record ${modelRecordId}`);
}
