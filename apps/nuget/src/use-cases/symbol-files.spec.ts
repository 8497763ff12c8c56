import { Readable } from 'node:stream';
import { ErrorCodes, NotFoundError, type LoggerPort } from '@geo/domain';
import type { BlobStore } from '@geo/storage';
import { FileStores, type SymbolRecord } from '../domain/model';
import type { SymbolIndex } from '../ports';
import { deleteBlobsLoggingFailures } from './blob-cleanup';
import { DOWNLOAD_CHUNK_BYTES, findSymbolFile, openSymbolFile } from './symbol-files';

const CHECKSUM = 'ab'.repeat(32);

function symbol(size: number): SymbolRecord {
  return {
    id: 11,
    createdAt: new Date(0),
    projectId: 1,
    packageId: 2,
    file: 'a.pdb',
    filePath: 'lib/a.pdb',
    signature: `${'1'.repeat(32)}FFFFFFFF`,
    size,
    fileSha256: CHECKSUM,
    fileStore: FileStores.local,
    objectStorageKey: 'k/a.pdb',
  };
}

/** An in-memory blob store: just enough of the port for these use cases. */
function memoryBlobs(contents: Map<string, Buffer>, failDeletes = new Set<string>()): BlobStore & { destroyed: number } {
  const store = {
    destroyed: 0,
    put: () => Promise.reject(new Error('not used')),
    get: (key: string) => {
      const bytes = contents.get(key);
      if (bytes === undefined) return Promise.reject(new NotFoundError(`no blob ${key}`, {}, ErrorCodes.FILE_NOT_FOUND));
      // 100 KiB reads, so re-chunking to 64 KiB is exercised.
      const stream = Readable.from(Array.from({ length: Math.ceil(bytes.byteLength / 102_400) }, (_, i) => bytes.subarray(i * 102_400, (i + 1) * 102_400)));
      stream.on('close', () => (store.destroyed += 1));
      return Promise.resolve(stream);
    },
    head: (key: string) => Promise.resolve(contents.has(key) ? { size: contents.get(key)?.byteLength ?? 0 } : null),
    exists: (key: string) => Promise.resolve(contents.has(key)),
    delete: (key: string) => (failDeletes.has(key) ? Promise.reject(new Error(`disk says no to ${key}`)) : Promise.resolve(void contents.delete(key))),
    list: () => (async function* () {})(),
  };
  return store;
}

function index(record: SymbolRecord | null): SymbolIndex {
  return { projectExists: (id) => Promise.resolve(id === 1), findSymbol: () => Promise.resolve(record) };
}

const request = { projectId: 1, fileName: 'a.pdb', signature: `${'1'.repeat(32)}FFFFFFFF`, sameFileName: 'A.PDB', symbolChecksum: `SHA256:${CHECKSUM}` };

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('symbol file download', () => {
  it('streams the blob in 64 KiB chunks with exactly the recorded bytes', async () => {
    const bytes = Buffer.alloc(150_000, 7);
    bytes[149_999] = 9;
    const blobs = memoryBlobs(new Map([['k/a.pdb', bytes]]));
    const download = await openSymbolFile({ index: index(symbol(bytes.byteLength)), blobs }, request);
    const chunks = await collect(download.chunks);
    expect(chunks.every((c) => c.byteLength <= DOWNLOAD_CHUNK_BYTES)).toBe(true);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it.each([
    ['shorter', 100, 'fewer bytes than its recorded size 101'],
    ['longer', 102, 'more bytes than its recorded size 101'],
  ])('fails the stream when the blob is %s than its row says', async (_name, actual, message) => {
    const blobs = memoryBlobs(new Map([['k/a.pdb', Buffer.alloc(actual)]]));
    const download = await openSymbolFile({ index: index(symbol(101)), blobs }, request);
    await expect(collect(download.chunks)).rejects.toMatchObject({ code: ErrorCodes.INTERNAL, message: expect.stringContaining(message) });
  });

  it('raises FILE_NOT_FOUND before any byte when the row exists but the blob does not', async () => {
    const blobs = memoryBlobs(new Map());
    await expect(openSymbolFile({ index: index(symbol(1)), blobs }, request)).rejects.toMatchObject({ code: ErrorCodes.FILE_NOT_FOUND });
    await expect(findSymbolFile({ index: index(symbol(1)), blobs }, request)).rejects.toMatchObject({ code: ErrorCodes.FILE_NOT_FOUND });
  });

  it('404s an unknown project and an unmatched key', async () => {
    const blobs = memoryBlobs(new Map([['k/a.pdb', Buffer.alloc(1)]]));
    await expect(findSymbolFile({ index: index(symbol(1)), blobs }, { ...request, projectId: 2 })).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND, message: 'Project 2 not found' });
    await expect(findSymbolFile({ index: index(null), blobs }, request)).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND });
  });

  it('close() releases a blob whose chunks were never read', async () => {
    const blobs = memoryBlobs(new Map([['k/a.pdb', Buffer.alloc(1)]]));
    const download = await openSymbolFile({ index: index(symbol(1)), blobs }, request);
    download.close();
    await new Promise((r) => setImmediate(r));
    expect(blobs.destroyed).toBe(1);
  });
});

describe('deleteBlobsLoggingFailures', () => {
  it('deletes what it can and logs every key it could not delete at error level', async () => {
    const contents = new Map([['a', Buffer.alloc(1)], ['b', Buffer.alloc(1)], ['c', Buffer.alloc(1)]]);
    const errors: Array<Record<string, unknown>> = [];
    const logger: LoggerPort = { info: () => undefined, warn: () => undefined, error: (fields) => errors.push(fields) };
    const left = await deleteBlobsLoggingFailures(memoryBlobs(contents, new Set(['b'])), ['a', 'b', 'c'], logger, 'test');
    expect(left).toEqual(['b']);
    expect([...contents.keys()]).toEqual(['b']);
    expect(errors).toEqual([expect.objectContaining({ blobKey: 'b', reason: 'test' })]);
  });
});
