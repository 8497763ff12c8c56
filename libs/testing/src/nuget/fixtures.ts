import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/**
 * The shared NuGet symbol fixtures (`shared/fixtures/nuget-symbols`, beside the repository; see its
 * MANIFEST.md and expected.json, and keep LICENSES/ beside any copy). `NUGET_SYMBOL_FIXTURES_DIR`
 * overrides the location.
 */
export const NUGET_SYMBOL_FIXTURES_DIR = process.env['NUGET_SYMBOL_FIXTURES_DIR'] ?? resolve(__dirname, '../../../../../shared/fixtures/nuget-symbols');

/** Absolute path of a fixture, e.g. `fixturePath('baget/TestData.1.2.3.snupkg')`; refuses paths outside the fixture dir. */
export function fixturePath(relativePath: string): string {
  const path = resolve(NUGET_SYMBOL_FIXTURES_DIR, relativePath);
  const inside = relative(NUGET_SYMBOL_FIXTURES_DIR, path);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) throw new Error(`fixture path ${JSON.stringify(relativePath)} leaves the fixture directory`);
  return path;
}

export function readFixture(relativePath: string): Buffer {
  return readFileSync(fixturePath(relativePath));
}
