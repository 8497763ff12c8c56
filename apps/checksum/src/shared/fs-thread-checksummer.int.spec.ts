import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, silentLogger } from '@geo/domain';
import { FsBlobStore } from '@geo/storage';
import { NOT_CHECKSUMMABLE_MESSAGE, StreamingBlobChecksummer } from './blob-checksum';
import { FsThreadChecksummer } from './fs-thread-checksummer';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The thread checksummer reads the fs store's files directly; it must agree with the generic path
 * through `FsBlobStore.get` on every kind of key, so a change to the store's layout breaks this spec.
 */
describe('FsThreadChecksummer (conformance with FsBlobStore)', () => {
  let root: string;
  let store: FsBlobStore;
  let threads: FsThreadChecksummer;
  const contents = new Map<string, Buffer>([
    ['a/b/small.pdb', randomBytes(5000)],
    ['a/empty.pdb', Buffer.alloc(0)],
    // Larger than the thread's 1 MiB read buffer: several reads.
    ['big/file.pdb', randomBytes(3 * 1024 * 1024 + 17)],
    ['dir/child.pdb', randomBytes(10)],
  ]);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'geo-fs-threads-'));
    store = new FsBlobStore({ root });
    for (const [key, bytes] of contents) await store.put(key, bytes);
    threads = new FsThreadChecksummer({ root, threads: 2, logger: silentLogger });
    await threads.start();
  });

  afterAll(async () => {
    await threads.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('computes the SHA-256 hex of every stored blob, the same as streaming through FsBlobStore.get', async () => {
    const keys = [...contents.keys()];
    const expected = keys.map((key) => ({ kind: 'checksum', checksum: sha256(contents.get(key)!) }));
    await expect(threads.checksumAll(keys)).resolves.toEqual(expected);
    await expect(new StreamingBlobChecksummer(store).checksumAll(keys)).resolves.toEqual(expected);
  });

  it('reports a missing blob and a directory as "File is not checksummable", an unsafe key as invalid, like the store', async () => {
    const keys = ['missing/file.pdb', 'dir', '../escape.pdb', 'a/tmp_reserved'];
    const outcomes = await threads.checksumAll(keys);
    expect(outcomes.slice(0, 2)).toEqual([
      { kind: 'error', message: NOT_CHECKSUMMABLE_MESSAGE, code: ErrorCodes.FILE_NOT_FOUND },
      { kind: 'error', message: NOT_CHECKSUMMABLE_MESSAGE, code: ErrorCodes.FILE_NOT_FOUND },
    ]);
    expect(outcomes.slice(2).map((o) => o.kind === 'error' && o.code)).toEqual([ErrorCodes.INVALID_BLOB_KEY, ErrorCodes.INVALID_BLOB_KEY]);
    await expect(new StreamingBlobChecksummer(store).checksumAll(keys)).resolves.toEqual(outcomes);
  });

  it('keeps outcomes in key order across concurrent batches spread over the threads', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `many/${i}.pdb`);
    await Promise.all(keys.map((key, i) => store.put(key, Buffer.from(`blob ${i}`))));
    const batches = Array.from({ length: 6 }, (_, b) => keys.slice(b * 10, b * 10 + 10));
    const results = await Promise.all(batches.map((batch) => threads.checksumAll(batch)));
    expect(results.flat()).toEqual(keys.map((_, i) => ({ kind: 'checksum', checksum: sha256(Buffer.from(`blob ${i}`)) })));
  });

  it('fails as UNAVAILABLE once stopped (and works again after a restart)', async () => {
    const stopped = new FsThreadChecksummer({ root, threads: 1, logger: silentLogger });
    await stopped.start();
    await stopped.stop();
    await expect(stopped.checksumAll(['a/b/small.pdb'])).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE });
    await stopped.start();
    await expect(stopped.checksumAll(['a/b/small.pdb'])).resolves.toEqual([{ kind: 'checksum', checksum: sha256(contents.get('a/b/small.pdb')!) }]);
    await stopped.stop();
  });
});
