import type { VerificationState } from '../verification/verification-state';

/** GitLab `file_store`: where the primary keeps the blob. */
export type FileStore = 'local' | 'remote';

/**
 * One record of a replicable type as the primary's catalogue describes it to a secondary
 * (`RegistryCatalogService`): where its blob is, how big, who owns it, and the primary's checksum.
 * A secondary stores it beside the registry row (`geo_replicable_records`), so it can transfer,
 * serve and delete the blob without asking the primary again.
 */
export interface ReplicableRecord {
  readonly replicableName: string;
  readonly modelRecordId: number;
  /** Relative key in the primary's blob store; a secondary installs its copy at the same key. */
  readonly blobKey: string;
  readonly size: number;
  readonly fileStore: FileStore;
  /** Owning project (selective sync); null when the model has none. */
  readonly projectId: number | null;
  /** The primary's verification state of the record. */
  readonly primaryVerificationState: VerificationState;
  /** The primary's SHA-256, lowercase hex; null unless its verification succeeded. */
  readonly primaryChecksum: string | null;
  readonly primaryVerifiedAt: Date | null;
  /** The definition's `source.attributeColumns`, as text (bytea as lowercase hex). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly createdAt: Date;
}

/**
 * A secondary's replication scope (GitLab `selective_sync_type` + `sync_object_storage`), as the
 * primary stores it in `geo_sites` and applies it when listing records for that secondary.
 */
export interface ReplicationScope {
  /** `all`: blank `selective_sync_type`; `namespaces`: the selected groups and all their descendants. */
  readonly selectiveSync: { readonly type: 'all' } | { readonly type: 'namespaces'; readonly namespaceIds: readonly number[] };
  /** When false, records whose blob is in object storage (`file_store = 2`) are out of scope. */
  readonly syncObjectStorage: boolean;
}

/** A site's settings as the primary stores them (GitLab `geo_nodes`). */
export interface SiteSettings {
  readonly id: number;
  readonly name: string;
  readonly enabled: boolean;
  /** Concurrent sync jobs of the site (GitLab default 10). */
  readonly filesMaxCapacity: number;
  readonly verificationMaxCapacity: number;
  /** Days. */
  readonly minimumReverificationInterval: number;
  readonly scope: ReplicationScope;
}
