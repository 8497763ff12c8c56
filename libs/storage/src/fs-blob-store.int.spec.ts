import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { registerBlobStoreTests } from '@geo/testing';
import { FsBlobStore } from './fs-blob-store';

async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

registerBlobStoreTests('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'geo-blob-fs-'));
  return {
    store: new FsBlobStore({ root }),
    rawEntries: () => allFiles(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
