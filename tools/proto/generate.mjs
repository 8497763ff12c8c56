#!/usr/bin/env node
// Regenerates libs/proto/src/gen from proto/**/*.proto (Nx target `proto:generate`).
// Lints first (a contract that breaks buf STANDARD never produces code and leaves the old output
// alone), then cleans the output so deleted protos leave no stale files, then generates.
// Output is deterministic: CI re-runs this and fails on `git diff --exit-code libs/proto/src/gen`.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = resolve(root, 'libs/proto/src/gen');
const buf = resolve(root, 'node_modules/.bin/buf');

function run(args) {
  const result = spawnSync(buf, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`proto:generate: \`buf ${args.join(' ')}\` failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

run(['lint']);
rmSync(outDir, { recursive: true, force: true });
run(['generate']);
console.log(`proto:generate: wrote ${outDir}`);
