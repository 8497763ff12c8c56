import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { registerBlobStoreTests, testServiceUrls, uniqueName } from '@geo/testing';
import { S3BlobStore, S3_MIN_PART_SIZE } from './s3-blob-store';

const bucket = uniqueName('geo-blobs').replace(/_/g, '-').toLowerCase();
let uploadedParts = 0;

const client = new S3Client({
  endpoint: testServiceUrls().s3Endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
// Counts real UploadPart requests, so the big-blob test proves multipart was used.
client.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'UploadPartCommand') uploadedParts += 1;
    return next(args);
  },
  { step: 'initialize', name: 'countUploadParts' },
);

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
    store: new S3BlobStore({
      client,
      bucket,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      partSize: S3_MIN_PART_SIZE,
    }),
    multipartPartsUploaded: () => uploadedParts,
    cleanup: emptyBucket,
  };
});
