import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
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

describe('FsBlobStore.removeTemporaries', () => {
  let root: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'geo-blob-fs-tmp-'));
    store = new FsBlobStore({ root });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Writes a temp file as a crashed put would leave it, last modified `ageMs` ago. */
  async function leftover(relPath: string, ageMs = 0): Promise<void> {
    const path = join(root, relPath);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, 'partial');
    const at = new Date(Date.now() - ageMs);
    await utimes(path, at, at);
  }

  it('deletes every tmp_ file at any depth and leaves blobs alone', async () => {
    await store.put('ab/cd/sym.pdb', Buffer.from('blob'));
    await store.put('top', Buffer.from('blob'));
    await leftover('tmp_root');
    await leftover('ab/tmp_1');
    await leftover('ab/cd/tmp_2');
    await leftover('ab/cd/ef/gh/tmp_3');
    expect(await store.removeTemporaries()).toBe(4);
    expect(await allFiles(root)).toEqual(['ab/cd/sym.pdb', 'top']);
    expect(await store.removeTemporaries()).toBe(0);
  });

  it('with olderThanMs spares recently modified files (writes in flight)', async () => {
    await leftover('a/tmp_old', 10 * 60_000);
    await leftover('a/tmp_fresh', 0);
    expect(await store.removeTemporaries({ olderThanMs: 60_000 })).toBe(1);
    expect(await allFiles(root)).toEqual(['a/tmp_fresh']);
  });

  it('returns 0 for a root that does not exist yet', async () => {
    expect(await new FsBlobStore({ root: join(root, 'never-created') }).removeTemporaries()).toBe(0);
  });

  it('rejects a negative olderThanMs', async () => {
    await expect(store.removeTemporaries({ olderThanMs: -1 })).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
