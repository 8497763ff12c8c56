/**
 * The int tier's default timeout for tests and hooks (jest's `setupFilesAfterEnv`; a project-level
 * `testTimeout` is not applied by jest 30 here). Tests and hooks that create, migrate or drop
 * databases need it: a DROP DATABASE's checkpoint alone can take several seconds on a loaded
 * 2-core machine, past jest's 5 s default. A spec's own `jest.setTimeout` still wins.
 */
jest.setTimeout(30_000);
