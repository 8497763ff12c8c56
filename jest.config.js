// Two tiers: `unit` (pure, no services) and `int` (real PostgreSQL, NATS JetStream, s3rver
// started by tools/dev/services). `npm test` runs both; `npm run test:unit` / `test:int` one each.
const { paths } = require('./tsconfig.base.json').compilerOptions;

const moduleNameMapper = Object.fromEntries(
  Object.entries(paths).map(([alias, [target]]) => [`^${alias.replace('/', '\\/')}$`, `<rootDir>/${target.replace(/^\.\//, "")}`]),
);

const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleNameMapper,
  // node-pg-migrate 9 and content-disposition 3 (mercurius → @fastify/static) ship ESM only; jest's
  // module system needs them transpiled to CommonJS. Node itself loads them (require(esm)). The
  // pattern looks at the innermost node_modules only, so nested copies are transpiled too.
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(node-pg-migrate|content-disposition)/)(?!.*/node_modules/)'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.dev/'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'], testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.spec\\.ts$'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
      // 30 s default timeout for tests and hooks (databases are created and dropped in hooks).
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-int-timeout.ts'],
    },
  ],
};
