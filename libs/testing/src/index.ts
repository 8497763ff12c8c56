export { testServiceUrls, createTestDatabase, uniqueName, type TestServiceUrls, type TestDatabase } from './services';
export { registerBlobStoreTests, HOSTILE_BLOB_KEYS, type BlobStoreFixture, type BlobStoreUnderTest } from './conformance/blob-store';
export {
  registerRegistryRepoTests,
  type RegistryRepoFixture,
  type RegistryRepoUnderTest,
  type StoredRegistryRowUnderTest,
} from './conformance/registry-repo';
