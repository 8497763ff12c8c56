import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { S3BlobStore } from './s3-blob-store';

/** Driver selection, as the config lib produces it (the `kind` picks the driver). */
export type BlobStoreConfig =
  | { readonly kind: 'fs'; readonly root: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly endpoint?: string;
      readonly region: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly forcePathStyle?: boolean;
      readonly partSize?: number;
      readonly queueSize?: number;
    };

export function createBlobStore(config: BlobStoreConfig): BlobStore {
  switch (config.kind) {
    case 'fs':
      return new FsBlobStore({ root: config.root });
    case 's3':
      return new S3BlobStore(config);
  }
}
