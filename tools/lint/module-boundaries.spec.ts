import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The architecture rules of DESIGN §10 are enforced by lint, not just documented. This test
 * writes real probe files into the projects (so the type-aware parser and the Nx project graph
 * see them exactly like source files), lints them with the repository's config in one ESLint run,
 * and checks which imports are rejected. A control probe with allowed imports must lint clean,
 * so the test fails if the config stops loading instead of passing vacuously.
 */
const ROOT = join(__dirname, '..', '..');

interface Probe {
  readonly label: string;
  readonly dir: string;
  readonly source: string;
  /** Minimum number of boundary/import-restriction errors expected (0 = must be clean). */
  readonly rejections: number;
}

const PROBES: Probe[] = [
  { label: 'domain importing the domain (control)', dir: 'libs/domain/src', source: `import { ErrorCodes } from './errors';\nexport const probe = ErrorCodes.INTERNAL;\n`, rejections: 0 },
  { label: 'domain importing pg', dir: 'libs/domain/src', source: `import { Pool } from 'pg';\nexport const probe = Pool;\n`, rejections: 1 },
  { label: 'domain importing nats', dir: 'libs/domain/src', source: `import { connect } from '@nats-io/transport-node';\nexport const probe = connect;\n`, rejections: 1 },
  { label: 'domain importing node:fs', dir: 'libs/domain/src', source: `import { readFileSync } from 'node:fs';\nexport const probe = readFileSync;\n`, rejections: 1 },
  { label: 'domain importing fs', dir: 'libs/domain/src', source: `import { readFileSync } from 'fs';\nexport const probe = readFileSync;\n`, rejections: 1 },
  { label: 'domain importing an adapter lib', dir: 'libs/domain/src', source: `import * as pg from '@geo/pg';\nexport const probe = pg;\n`, rejections: 1 },
  { label: 'pg adapter importing the NATS client', dir: 'libs/pg/src', source: `import { connect } from '@nats-io/transport-node';\nexport const probe = connect;\n`, rejections: 1 },
  { label: 'app importing the testing lib outside a spec', dir: 'apps/registry/src', source: `import { uniqueName } from '@geo/testing';\nexport const probe = uniqueName;\n`, rejections: 1 },
];

type Message = { ruleId: string | null; message: string };
const BOUNDARY_RULES = new Set(['@nx/enforce-module-boundaries', 'no-restricted-imports']);

describe('lint module boundaries', () => {
  const results = new Map<string, Message[]>();
  const files = PROBES.map((p) => join(ROOT, p.dir, `lint-probe-${randomBytes(4).toString('hex')}.ts`));

  beforeAll(() => {
    // The Nx rule skips itself without a cached project graph (fresh clone): build it first.
    const graph = spawnSync(join(ROOT, 'node_modules', '.bin', 'nx'), ['show', 'projects'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    });
    if (graph.status !== 0) throw new Error(`nx show projects failed: ${graph.stderr}`);
    PROBES.forEach((p, i) => writeFileSync(files[i]!, p.source));
    try {
      // A child process: ESLint loads its flat config with import(), which jest's VM cannot do.
      const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'eslint'), ['--format', 'json', ...files], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      if (run.status !== 0 && run.status !== 1) throw new Error(`eslint crashed (${run.status}): ${run.stderr}`);
      for (const r of JSON.parse(run.stdout) as { filePath: string; messages: Message[] }[]) results.set(r.filePath, r.messages);
    } finally {
      files.forEach((f) => rmSync(f, { force: true }));
    }
  }, 120_000);

  it.each(PROBES.map((p, i) => [p.label, i] as const))('%s', (_label, i) => {
    const probe = PROBES[i]!;
    const messages = results.get(files[i]!);
    expect(messages).toBeDefined();
    if (probe.rejections === 0) {
      expect(messages).toEqual([]);
    } else {
      expect(messages!.filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).length).toBeGreaterThanOrEqual(probe.rejections);
    }
  });
});
