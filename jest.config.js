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
  // node-pg-migrate 9 ships ESM only; jest's module system needs it transpiled to CommonJS.
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(node-pg-migrate)/)'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.dev/'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'], testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.spec\\.ts$'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts'], globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts' },
  ],
};
