import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store';

/** Driver selection, as the config lib produces it (the `kind` picks the driver). */
export type BlobStoreConfig =
  | { readonly kind: 'fs'; readonly root: string }
  | ({ readonly kind: 's3' } & Omit<S3BlobStoreOptions, 'client'>);

export function createBlobStore(config: BlobStoreConfig): BlobStore {
  switch (config.kind) {
    case 'fs':
      return new FsBlobStore({ root: config.root });
    case 's3':
      return new S3BlobStore(config);
  }
}
