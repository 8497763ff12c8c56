// Lint encodes the architecture (DESIGN §10): Nx module boundaries decide which project may import
// which, and per-tag external-import allow/ban lists keep I/O out of the domain.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS_BANNED_IN_PURE_CODE = [
  { group: ['node:*', 'fs', 'fs/*', 'path', 'net', 'http', 'https', 'child_process', 'os', 'crypto', 'stream', 'worker_threads', 'dgram', 'dns', 'tls', 'zlib'], message: 'libs/domain and libs/replicables are pure: no I/O or Node built-ins. Put I/O in an adapter.' },
];

const TAGS_FOR = {
  'type:domain': ['type:domain'],
  'type:catalogue': ['type:domain'],
  'type:proto': [],
  // Package and PDB formats: pure parsing over bytes (may hash and inflate, never touches files or network).
  'type:format': ['type:domain'],
  'type:config': ['type:domain', 'type:catalogue', 'type:format'],
  'type:adapter': ['type:domain', 'type:catalogue', 'type:proto'],
  'type:runtime': ['type:domain', 'type:catalogue', 'type:format', 'type:proto', 'type:adapter', 'type:config'],
  'type:testing': ['type:domain', 'type:catalogue', 'type:format', 'type:proto', 'type:adapter', 'type:config', 'type:runtime'],
  'type:app': ['type:domain', 'type:catalogue', 'type:format', 'type:proto', 'type:adapter', 'type:config', 'type:runtime'],
};
const EXTERNAL_ALLOW = {
  'type:domain': [],
  'type:catalogue': [],
  'type:proto': ['@grpc/grpc-js', '@bufbuild/protobuf', '@bufbuild/protobuf/*'],
  'type:config': ['zod'],
  'type:format': ['yauzl', 'fast-xml-parser'],
};

/** Module-boundary options; spec files (allowTesting) may also import the testing lib. */
function boundaries(allowTesting) {
  return {
    enforceBuildableLibDependency: false,
    allowCircularSelfDependency: false,
    depConstraints: Object.entries(TAGS_FOR).map(([sourceTag, tags]) => ({
      sourceTag,
      onlyDependOnLibsWithTags: allowTesting && !['type:domain', 'type:catalogue'].includes(sourceTag) ? [...tags, 'type:testing'] : tags,
      ...(EXTERNAL_ALLOW[sourceTag] ? { allowedExternalImports: EXTERNAL_ALLOW[sourceTag] } : {}),
    })),
  };
}

export default tseslint.config(
  { ignores: ['**/*.mjs', '**/*.js', '**/*.cjs', '**/node_modules/**', '**/dist/**', '.nx/**', '.dev/**', 'libs/proto/src/gen/**', '**/__fixtures__/**', 'tools/**/*.mjs', 'tools/**/*.js', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@geo/*/src/*', '**/libs/*/src/**', '../../libs/**'], message: 'Import a lib by its @geo/<name> entry point, never a deep path.' }] }],
      '@nx/enforce-module-boundaries': ['error', boundaries(false)],
    },
  },
  // Pure code: no Node built-ins either (allowedExternalImports does not cover `node:` specifiers).
  {
    files: ['libs/domain/**/*.ts', 'libs/replicables/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: NODE_BUILTINS_BANNED_IN_PURE_CODE }] },
  },
  // Formats parse bytes in memory: hashing and inflating are fine, files, sockets and processes are not.
  {
    files: ['libs/nuget-format/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:net', 'net', 'node:http', 'http', 'node:child_process', 'child_process', 'node:os', 'os'], message: 'libs/nuget-format parses bytes; do I/O in the app.' }] }] },
  },
  // ...except its specs and their fixture reader, which read the shared fixture files.
  {
    files: ['libs/nuget-format/**/*.spec.ts', 'libs/nuget-format/src/spec-fixtures.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  // Adapters never import another adapter's client library.
  { files: ['libs/pg/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['@nats-io/*', 'nats', '@aws-sdk/*', '@grpc/*'], message: 'adapters/pg talks to PostgreSQL only.' }] }] } },
  { files: ['libs/nats/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['pg', 'pg-*', '@aws-sdk/*', '@grpc/*'], message: 'adapters/nats talks to NATS only.' }] }] } },
  { files: ['libs/storage/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['pg', 'pg-*', '@nats-io/*', '@grpc/*'], message: 'adapters/storage talks to blob stores only.' }] }] } },
  // Spec files may import the testing lib; nothing else may.
  {
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(true)],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
