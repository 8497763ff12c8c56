export type { BlobStore, BlobSource, BlobHead, PutOptions, PutResult } from './blob-store';
export { validateBlobKey, validateBlobPrefix, MAX_BLOB_KEY_BYTES, RESERVED_SEGMENT_PREFIX } from './blob-key';
export { FsBlobStore, FS_HIGH_WATER_MARK, FS_MISSING_BLOB_ERRNOS, fsBlobPath, type FsBlobStoreOptions } from './fs-blob-store';
export { S3BlobStore, S3_MIN_PART_SIZE, type S3BlobStoreOptions } from './s3-blob-store';
export { createBlobStore, type BlobStoreConfig } from './create-blob-store';
export { ChecksumMismatchError, type ChecksumMismatchReason, type PutExpectation } from './put-expectation';
