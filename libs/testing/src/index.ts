export { testServiceUrls, createTestDatabase, uniqueName, type TestServiceUrls, type TestDatabase } from './services';
export { registerBlobStoreTests, HOSTILE_BLOB_KEYS, type BlobStoreFixture, type BlobStoreUnderTest } from './conformance/blob-store';
export {
  registerRegistryRepoTests,
  type RegistryRepoFixture,
  type RegistryRepoUnderTest,
  type StoredRegistryRowUnderTest,
} from './conformance/registry-repo';
export { privateNatsServer, type PrivateNatsServer } from './nats-server';
export { writeZip, truncateZip, type ZipEntrySpec, type ZipWriteOptions } from './nuget/zip-writer';
export { NUGET_SYMBOL_FIXTURES_DIR, fixturePath, readFixture } from './nuget/fixtures';
export {
  nuspecXml,
  buildNupkg,
  buildSnupkg,
  patchPortablePdbId,
  type NuspecOptions,
  type BuildNupkgOptions,
  type BuildSnupkgOptions,
} from './nuget/symbol-packages';
export {
  MALFORMED_SYMBOL_PACKAGES,
  TEST_PACKAGE_LIMITS,
  type MalformedPackageCase,
  type MalformedPackageContext,
} from './nuget/malformed-packages';
export { freePort } from './free-port';
export { recordingLogger, type LogLine } from './recording-logger';
export { waitFor } from './wait-for';
export { appProcess, type AppProcess } from './app-process';
export { createSitePair, type SitePair, type SitePairOptions, type SitePairPg, type SitePairStream, type PairSite, type PairSecondary } from './site-pair';
export { startOtlpReceiver, OtlpSpanKind, type OtlpReceiver, type OtlpReceiverOptions, type ReceivedSpan, type OtlpSpanKindValue } from './otlp-receiver';
export { seedPrimarySymbols } from './seed-symbols';
