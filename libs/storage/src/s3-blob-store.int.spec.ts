import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { registerBlobStoreTests, testServiceUrls, uniqueName } from '@geo/testing';
import { createBlobStore } from './create-blob-store';
import { S3BlobStore, S3_MIN_PART_SIZE } from './s3-blob-store';

const bucket = uniqueName('geo-blobs').replace(/_/g, '-').toLowerCase();
let uploadedParts = 0;
let abortedUploads = 0;

// Built the way apps build it (from configuration), so the driver's own client set-up is tested.
const store = createBlobStore({
  kind: 's3',
  bucket,
  endpoint: testServiceUrls().s3Endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  partSize: S3_MIN_PART_SIZE,
});
if (!(store instanceof S3BlobStore)) throw new Error('createBlobStore({ kind: "s3" }) must build an S3BlobStore');
const client = store.client;
// Counts real UploadPart and AbortMultipartUpload requests, so the suite can prove multipart was
// used for big blobs and abandoned uploads were aborted (s3rver cannot list in-progress uploads).
client.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'UploadPartCommand') uploadedParts += 1;
    if (context.commandName === 'AbortMultipartUploadCommand') abortedUploads += 1;
    return next(args);
  },
  { step: 'initialize', name: 'countMultipartRequests' },
);

/** Every object in the bucket, read with the raw client (not through the store's own list). */
async function rawKeys(): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])).sort();
}

async function emptyBucket(): Promise<void> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const object of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
}

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  await emptyBucket();
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
});

registerBlobStoreTests('s3 (s3rver)', async () => {
  await emptyBucket();
  return {
    store,
    rawEntries: rawKeys,
    multipartPartsUploaded: () => uploadedParts,
    multipartUploadsAborted: () => abortedUploads,
    cleanup: emptyBucket,
  };
});
