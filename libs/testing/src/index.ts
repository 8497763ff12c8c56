export { testServiceUrls, createTestDatabase, uniqueName, type TestServiceUrls, type TestDatabase } from './services';
