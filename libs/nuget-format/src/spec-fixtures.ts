/**
 * SPEC-ONLY helper: reads the shared fixtures (`../shared/fixtures/nuget-symbols`) for this lib's
 * *.spec.ts files. Not exported from index.ts and never imported by lib code. It exists because
 * these specs cannot use `readFixture` from `@geo/testing` (the testing lib depends on this one, and
 * Nx forbids the cycle), and the lib-wide lint rule bans file I/O (eslint.config.mjs exempts this file and the specs).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FIXTURES_DIR = process.env['NUGET_SYMBOL_FIXTURES_DIR'] ?? resolve(__dirname, '../../../../shared/fixtures/nuget-symbols');

export function readFixture(relativePath: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, relativePath));
}

/** The parts of expected.json these specs use. */
export interface ExpectedPortablePdb {
  readonly kind: 'portable-pdb';
  readonly size: number;
  readonly sha256: string;
  readonly streams: string[];
  readonly pdb_stream_offset: number;
  readonly pdb_id_hex: string;
  readonly guid: string;
  readonly stamp: string;
  readonly ssqp_key: string;
  readonly checksum_sha256_id_zeroed: string;
  readonly gitlab_signature: string;
}

export interface ExpectedWindowsPdb {
  readonly kind: 'windows-pdb-msf7';
  readonly guid: string;
  readonly pdbinfo_age: number;
  readonly pdbinfo_signature_timestamp: string;
  readonly dbi_age: number;
  readonly age_used_for_key: number;
  readonly ssqp_key: string;
}

export interface ExpectedZipEntry {
  readonly name: string;
  readonly size: number;
  readonly nuspec?: string;
  readonly inspect?: { readonly kind: string } & Partial<ExpectedPortablePdb>;
}

export interface ExpectedFile {
  readonly kind: string;
  readonly size: number;
  readonly sha256: string;
  readonly entries?: ExpectedZipEntry[];
}

export const EXPECTED = JSON.parse(readFixture('expected.json').toString('utf8')) as { files: Record<string, ExpectedFile> };

/** Every fixture file of one kind, as [relative path, expectation] pairs. */
export function expectedFilesOfKind<T>(kind: string): Array<[string, T]> {
  return Object.entries(EXPECTED.files)
    .filter(([, file]) => file.kind === kind)
    .map(([path, file]) => [path, file as unknown as T]);
}
