// Test support only: an in-memory primary catalogue (the real one is tested with the primary app).
import { UnavailableError, ValidationError, type ReplicableRecord, type SiteSettings } from '@geo/domain';
import type { CatalogDescription } from '@geo/grpc';
import type { SecondaryCatalogue } from '../catalogue-port';

export const TEST_SITE: SiteSettings = {
  id: 2,
  name: 'secondary-test',
  enabled: true,
  filesMaxCapacity: 10,
  verificationMaxCapacity: 100,
  minimumReverificationInterval: 7,
  scope: { selectiveSync: { type: 'all' }, syncObjectStorage: false },
};

/** A symbol record as the primary's catalogue would describe it. */
export function testRecord(replicableName: string, id: number, overrides: Partial<ReplicableRecord> = {}): ReplicableRecord {
  return {
    replicableName,
    modelRecordId: id,
    blobKey: `ab/cd/${id}/packages/nuget/symbols/lib${id}.pdb`,
    size: 1000 + id,
    fileStore: 'local',
    projectId: 1,
    primaryVerificationState: 'verification_succeeded',
    primaryChecksum: null,
    primaryVerifiedAt: null,
    attributes: { file: `lib${id}.pdb`, signature: `SIG${id}` },
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    ...overrides,
  };
}

/**
 * The three `PrimaryCatalogClient` methods over an in-memory table. `inScope` plays the primary's
 * selective sync for this site; `failWith` makes every call fail (primary down).
 */
export class FakeCatalogue implements SecondaryCatalogue {
  readonly records = new Map<number, ReplicableRecord>();
  inScope: (record: ReplicableRecord) => boolean = () => true;
  site: SiteSettings = TEST_SITE;
  failWith: Error | undefined;
  readonly calls = { list: 0, get: 0, describe: 0 };

  constructor(private readonly replicableName: string) {}

  add(records: readonly ReplicableRecord[]): void {
    for (const r of records) this.records.set(r.modelRecordId, r);
  }

  remove(ids: readonly number[]): void {
    for (const id of ids) this.records.delete(id);
  }

  async *listReplicables(replicableName: string, idFrom: number, idTo: number, signal?: AbortSignal): AsyncGenerator<ReplicableRecord> {
    this.calls.list += 1;
    this.check(replicableName);
    if (idTo < idFrom || idFrom < 1) throw new ValidationError(`invalid id range [${idFrom}, ${idTo}]`);
    const ids = [...this.records.keys()].filter((id) => id >= idFrom && id <= idTo).sort((a, b) => a - b);
    for (const id of ids) {
      if (signal?.aborted === true) throw new UnavailableError('cancelled');
      const record = this.records.get(id);
      if (record !== undefined && this.inScope(record)) yield record;
    }
  }

  async getReplicables(replicableName: string, modelRecordIds: readonly number[]): Promise<ReplicableRecord[]> {
    this.calls.get += 1;
    this.check(replicableName);
    return modelRecordIds.flatMap((id) => {
      const record = this.records.get(id);
      return record !== undefined && this.inScope(record) ? [record] : [];
    });
  }

  async describeCatalog(replicableName: string): Promise<CatalogDescription> {
    this.calls.describe += 1;
    this.check(replicableName);
    return { site: this.site, maxModelRecordId: Math.max(0, ...this.records.keys()) };
  }

  private check(replicableName: string): void {
    if (this.failWith !== undefined) throw this.failWith;
    if (replicableName !== this.replicableName) throw new ValidationError(`unknown replicable ${replicableName}`);
  }
}
