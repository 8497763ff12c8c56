import { NotFoundError, ValidationError, type ReplicableDefinition, type VerificationState } from '@geo/domain';
import type { PrimaryChecksumRow, ReverifyAllFilter, StoredVerificationState, VerificationStateRepository } from '@geo/pg';
import type { BatchVerifier } from './batch-verifier';

/** One replicable type's verification parts, as the operator API uses them. */
export interface ReplicableVerification {
  readonly replicable: ReplicableDefinition;
  readonly states: VerificationStateRepository;
  readonly verifier: Pick<BatchVerifier, 'verify'>;
}

/**
 * The primary's verification use cases behind `ChecksumService` (operators, the gateway, secondaries
 * reading the primary's checksums). Addressed by replicable name; an unknown name is INVALID_ARGUMENT,
 * an unknown record NOT_FOUND.
 */
export class PrimaryVerificationApi {
  private readonly byName: ReadonlyMap<string, ReplicableVerification>;

  constructor(types: readonly ReplicableVerification[]) {
    this.byName = new Map(types.map((t) => [t.replicable.name, t]));
  }

  private type(replicableName: string): ReplicableVerification {
    const type = this.byName.get(replicableName);
    if (type === undefined) throw new ValidationError(`unknown replicable ${JSON.stringify(replicableName)}`, { details: { replicableName } });
    return type;
  }

  /**
   * Checksums one record now, whatever its state (GitLab `verify`: marks it started first), and
   * returns its row afterwards. If it was re-marked meanwhile, that newer state is what comes back.
   */
  async verifyNow(replicableName: string, modelId: number): Promise<StoredVerificationState> {
    const { states, verifier } = this.type(replicableName);
    const claim = await states.claimOne(modelId);
    if (claim === undefined) throw notFound(replicableName, modelId);
    await verifier.verify([claim]);
    const row = await states.findByModelId(modelId);
    if (row === undefined) throw notFound(replicableName, modelId);
    return row;
  }

  getChecksums(replicableName: string, modelIds: readonly number[]): Promise<PrimaryChecksumRow[]> {
    return this.type(replicableName).states.getChecksums(modelIds);
  }

  /** Marks one record pending (GitLab "reverify"); returns its new state. */
  async reverify(replicableName: string, modelId: number): Promise<VerificationState> {
    const state = await this.type(replicableName).states.reverify(modelId);
    if (state === undefined) throw notFound(replicableName, modelId);
    return state;
  }

  reverifyAll(replicableName: string, filter: ReverifyAllFilter): Promise<number> {
    return this.type(replicableName).states.reverifyAll(filter);
  }
}

function notFound(replicableName: string, modelId: number): NotFoundError {
  return new NotFoundError(`${replicableName} ${modelId} not found`, { details: { replicableName, modelId } });
}
