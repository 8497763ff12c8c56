import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ErrorCodes } from '@geo/domain';

/**
 * The `BlobStore` port as this suite exercises it. Declared structurally (it mirrors
 * `BlobStore` from `@geo/storage`) so the testing lib does not depend on the storage lib whose
 * specs import it (Nx forbids the cycle); every driver satisfies it without a cast.
 */
export interface BlobStoreUnderTest {
  put(
    key: string,
    source: Readable | Uint8Array,
    options?: { readonly signal?: AbortSignal; readonly expect?: { readonly size?: number; readonly sha256?: string } },
  ): Promise<{ size: number; sha256: string }>;
  get(key: string): Promise<Readable>;
  head(key: string): Promise<{ size: number } | null>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  list(prefix?: string): AsyncIterable<string>;
}

/** A fresh, empty store for one test, plus what the suite needs to look behind it. */
export interface BlobStoreFixture {
  readonly store: BlobStoreUnderTest;
  /** Releases everything the fixture created (temp dirs, buckets' objects, clients). */
  cleanup(): Promise<void>;
  /**
   * Driver-level view of everything physically stored (e.g. every file under the fs root,
   * temp files included). When given, failed puts must leave nothing here.
   */
  rawEntries?(): Promise<string[]>;
  /** Multipart parts uploaded so far (S3 drivers). When given, a 16 MiB+ blob must use ≥ 2. */
  multipartPartsUploaded?(): number;
  /** Multipart uploads aborted so far (S3 drivers). When given, a failed multipart put must abort its upload. */
  multipartUploadsAborted?(): number;
}

const MiB = 1024 * 1024;
const BIG_BLOB_BYTES = 17 * MiB + 12_345;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function hashStream(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Uint8Array;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { size, sha256: hash.digest('hex') };
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out.sort();
}

/**
 * Deterministic pseudo-random bytes generated chunk by chunk, never held in one buffer.
 * `expected` is filled in as the stream is consumed.
 */
function generatedStream(totalBytes: number, chunkBytes = MiB): { stream: Readable; expected: () => string } {
  const hash = createHash('sha256');
  let state = 0x2545f491;
  function* chunks(): Generator<Buffer> {
    for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, totalBytes - sent));
      for (let i = 0; i < chunk.length; i += 4) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        chunk.writeUInt32LE(state, i <= chunk.length - 4 ? i : chunk.length - 4);
      }
      hash.update(chunk);
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), expected: () => hash.digest('hex') };
}

/** A source that delivers `goodBytes` and then fails, like a peer dropping mid-transfer. */
function failingStream(goodBytes: number, error: Error): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    yield Buffer.alloc(goodBytes, 7);
    await new Promise((resolve) => setTimeout(resolve, 10));
    throw error;
  }
  return Readable.from(chunks());
}

/**
 * A source that keeps delivering 1 MiB chunks and aborts `controller` once `abortAfterBytes` went
 * out, like a service shutting down mid-transfer. It never ends by itself (capped at 64 MiB).
 */
function abortingStream(controller: AbortController, reason: Error, abortAfterBytes: number): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let sent = 0; sent < 64 * MiB; sent += MiB) {
      if (sent >= abortAfterBytes) controller.abort(reason);
      yield Buffer.alloc(MiB, 3);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  return Readable.from(chunks());
}

export const HOSTILE_BLOB_KEYS: readonly (readonly [string, string])[] = [
  ['parent traversal', '../x'],
  ['absolute', '/abs'],
  ['inner traversal', 'a/../b'],
  ['empty segment', 'a//b'],
  ['backslash', 'a\\b'],
  ['empty', ''],
  ['dot', '.'],
  ['dot segment', 'a/./b'],
  ['trailing slash', 'a/'],
  ['NUL', 'a\u0000b'],
  ['newline', 'a\nb'],
  ['reserved temp prefix', 'a/tmp_123'],
  ['too long', 'k'.repeat(1025)],
];

/**
 * The BlobStore contract, run against every driver (`fs`, `s3`). `factory` must give a fresh,
 * empty store for each test.
 */
export function registerBlobStoreTests(driverName: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore conformance: ${driverName}`, () => {
    let fx: BlobStoreFixture;
    let store: BlobStoreUnderTest;

    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });

    afterEach(async () => {
      await fx.cleanup();
    });

    it('round-trips bytes from a buffer and returns their size and sha256', async () => {
      const data = Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0 pdb bytes');
      const result = await store.put('ab/cd/abcdef/sym.pdb', data);
      expect(result).toEqual({ size: data.length, sha256: sha256(data) });
      expect(await readAll(await store.get('ab/cd/abcdef/sym.pdb'))).toEqual(data);
    });

    it('round-trips a stream source', async () => {
      const parts = [Buffer.from('first '), Buffer.from('second '), Buffer.from('third')];
      const result = await store.put('stream/blob', Readable.from(parts));
      const whole = Buffer.concat(parts);
      expect(result).toEqual({ size: whole.length, sha256: sha256(whole) });
      expect((await readAll(await store.get('stream/blob'))).toString()).toBe('first second third');
    });

    it('stores an empty blob', async () => {
      expect(await store.put('empty', Buffer.alloc(0))).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(await store.head('empty')).toEqual({ size: 0 });
    });

    it('overwrites: the last put wins', async () => {
      await store.put('k/over', Buffer.from('old old old'));
      await store.put('k/over', Buffer.from('new'));
      expect((await readAll(await store.get('k/over'))).toString()).toBe('new');
      expect(await store.head('k/over')).toEqual({ size: 3 });
      expect(await collect(store.list('k/'))).toEqual(['k/over']);
    });

    it('get of a missing key rejects with FILE_NOT_FOUND', async () => {
      await expect(store.get('no/such/blob')).rejects.toMatchObject({ name: 'NotFoundError', code: ErrorCodes.FILE_NOT_FOUND });
    });

    it('head and exists report presence and size', async () => {
      expect(await store.head('h/missing')).toBeNull();
      expect(await store.exists('h/missing')).toBe(false);
      await store.put('h/present', Buffer.alloc(1234, 1));
      expect(await store.head('h/present')).toEqual({ size: 1234 });
      expect(await store.exists('h/present')).toBe(true);
    });

    it('delete removes the blob and is idempotent', async () => {
      await expect(store.delete('d/never-existed')).resolves.toBeUndefined();
      await store.put('d/blob', Buffer.from('x'));
      await store.delete('d/blob');
      expect(await store.exists('d/blob')).toBe(false);
      await expect(store.get('d/blob')).rejects.toMatchObject({ code: ErrorCodes.FILE_NOT_FOUND });
      await expect(store.delete('d/blob')).resolves.toBeUndefined();
    });

    it('lists keys by string prefix', async () => {
      const keys = ['p/a/1', 'p/a/2', 'p/b/deep/1', 'p-x', 'q/1'];
      for (const key of keys) await store.put(key, Buffer.from(key));
      expect(await collect(store.list('p/a/'))).toEqual(['p/a/1', 'p/a/2']);
      expect(await collect(store.list('p/'))).toEqual(['p/a/1', 'p/a/2', 'p/b/deep/1']);
      expect(await collect(store.list('p'))).toEqual(['p-x', 'p/a/1', 'p/a/2', 'p/b/deep/1']);
      expect(await collect(store.list('p/a/1'))).toEqual(['p/a/1']);
      expect(await collect(store.list(''))).toEqual([...keys].sort());
      expect(await collect(store.list())).toEqual([...keys].sort());
      expect(await collect(store.list('nope/'))).toEqual([]);
    });

    describe.each(HOSTILE_BLOB_KEYS)('rejects a hostile key (%s)', (_label, key) => {
      it.each([
        ['put', (s: BlobStoreUnderTest) => s.put(key, Buffer.from('x'))],
        ['get', (s: BlobStoreUnderTest) => s.get(key)],
        ['head', (s: BlobStoreUnderTest) => s.head(key)],
        ['exists', (s: BlobStoreUnderTest) => s.exists(key)],
        ['delete', (s: BlobStoreUnderTest) => s.delete(key)],
      ] as const)('%s', async (_op, call) => {
        await expect(call(store)).rejects.toMatchObject({ name: 'ValidationError', code: ErrorCodes.INVALID_BLOB_KEY });
      });
    });

    it('rejects a traversal prefix in list', async () => {
      await expect(collect(store.list('../'))).rejects.toMatchObject({ code: ErrorCodes.INVALID_BLOB_KEY });
    });

    it('a put whose source fails midway leaves nothing visible and no debris', async () => {
      const boom = new Error('peer went away');
      const abortedBefore = fx.multipartUploadsAborted?.() ?? 0;
      // 12 MiB: past two 5 MiB parts, so a multipart driver has started (and must abort) its upload.
      await expect(store.put('f/failed', failingStream(12 * MiB, boom))).rejects.toBe(boom);
      expect(await store.exists('f/failed')).toBe(false);
      expect(await collect(store.list(''))).toEqual([]);
      if (fx.rawEntries) expect(await fx.rawEntries()).toEqual([]);
      if (fx.multipartUploadsAborted) expect(fx.multipartUploadsAborted() - abortedBefore).toBeGreaterThanOrEqual(1);
    });

    it('an aborted put rejects with the abort reason and leaves nothing behind', async () => {
      const controller = new AbortController();
      const reason = new Error('shutting down');
      const abortedBefore = fx.multipartUploadsAborted?.() ?? 0;
      await expect(store.put('f/aborted', abortingStream(controller, reason, 12 * MiB), { signal: controller.signal })).rejects.toBe(reason);
      expect(await store.exists('f/aborted')).toBe(false);
      expect(await collect(store.list(''))).toEqual([]);
      if (fx.rawEntries) expect(await fx.rawEntries()).toEqual([]);
      if (fx.multipartUploadsAborted) expect(fx.multipartUploadsAborted() - abortedBefore).toBeGreaterThanOrEqual(1);
    });

    it('a failed overwrite keeps the previous blob intact', async () => {
      await store.put('f/keep', Buffer.from('original'));
      await expect(store.put('f/keep', failingStream(MiB, new Error('cut')))).rejects.toThrow('cut');
      expect((await readAll(await store.get('f/keep'))).toString()).toBe('original');
      expect(await collect(store.list(''))).toEqual(['f/keep']);
      if (fx.rawEntries) expect(await fx.rawEntries()).toEqual(['f/keep']);
    });

    it('streams a blob over 16 MiB in and out with the right sha256', async () => {
      const partsBefore = fx.multipartPartsUploaded?.() ?? 0;
      const source = generatedStream(BIG_BLOB_BYTES);
      const result = await store.put('big/blob.pdb', source.stream);
      const expectedSha = source.expected();
      expect(result).toEqual({ size: BIG_BLOB_BYTES, sha256: expectedSha });
      if (fx.multipartPartsUploaded) expect(fx.multipartPartsUploaded() - partsBefore).toBeGreaterThanOrEqual(2);
      expect(await store.head('big/blob.pdb')).toEqual({ size: BIG_BLOB_BYTES });
      expect(await hashStream(await store.get('big/blob.pdb'))).toEqual({ size: BIG_BLOB_BYTES, sha256: expectedSha });
    }, 120_000);

    describe('put with expect (size and sha256 checked before the blob becomes visible)', () => {
      const data = Buffer.from('expected bytes of a symbol file');
      const wrongSha = sha256(Buffer.from('other bytes'));

      /** Asserts that nothing but `keys` is stored, through the store and behind it. */
      async function expectOnly(keys: string[]): Promise<void> {
        expect(await collect(store.list(''))).toEqual(keys);
        if (fx.rawEntries) expect(await fx.rawEntries()).toEqual(keys);
      }

      it('installs matching bytes (sha256 in any case) and returns them', async () => {
        const expected = { size: data.length, sha256: sha256(data).toUpperCase() };
        expect(await store.put('e/ok', Readable.from([data]), { expect: expected })).toEqual({ size: data.length, sha256: sha256(data) });
        expect(await readAll(await store.get('e/ok'))).toEqual(data);
        expect(await store.put('e/size-only', data, { expect: { size: data.length } })).toEqual({ size: data.length, sha256: sha256(data) });
        expect(await store.put('e/empty', Buffer.alloc(0), { expect: { size: 0, sha256: sha256(Buffer.alloc(0)) } })).toMatchObject({ size: 0 });
        await expectOnly(['e/empty', 'e/ok', 'e/size-only']);
      });

      it('rejects a sha256 mismatch with CHECKSUM_MISMATCH carrying expected and actual, installing nothing', async () => {
        const error: unknown = await store.put('e/bad', Readable.from([data]), { expect: { size: data.length, sha256: wrongSha } }).then(
          () => 'resolved',
          (e: unknown) => e,
        );
        expect(error).toMatchObject({
          code: ErrorCodes.CHECKSUM_MISMATCH,
          details: { key: 'e/bad', reason: 'sha256', expectedSha256: wrongSha, actualSha256: sha256(data), expectedSize: data.length, actualSize: data.length },
        });
        expect(await store.exists('e/bad')).toBe(false);
        await expectOnly([]);
      });

      it('rejects too few bytes (size mismatch) and too many bytes (cut short)', async () => {
        await expect(store.put('e/short', data, { expect: { size: data.length + 1 } })).rejects.toMatchObject({
          code: ErrorCodes.CHECKSUM_MISMATCH,
          details: { reason: 'size', expectedSize: data.length + 1, actualSize: data.length, actualSha256: sha256(data) },
        });
        await expect(store.put('e/long', Readable.from([data, data, data]), { expect: { size: data.length + 3 } })).rejects.toMatchObject({
          code: ErrorCodes.CHECKSUM_MISMATCH,
          details: { reason: 'size', expectedSize: data.length + 3, actualSha256: null },
        });
        await expectOnly([]);
      });

      it('a mismatching overwrite keeps the previous blob intact', async () => {
        await store.put('e/keep', Buffer.from('original'));
        await expect(store.put('e/keep', data, { expect: { sha256: wrongSha } })).rejects.toMatchObject({ code: ErrorCodes.CHECKSUM_MISMATCH });
        expect((await readAll(await store.get('e/keep'))).toString()).toBe('original');
        await expectOnly(['e/keep']);
      });

      it('a mismatching multipart-sized stream is aborted, never completed', async () => {
        const abortedBefore = fx.multipartUploadsAborted?.() ?? 0;
        const partsBefore = fx.multipartPartsUploaded?.() ?? 0;
        // The pause before the end lets a multipart driver upload parts first, so it has an upload to abort.
        async function* chunks(): AsyncGenerator<Buffer> {
          for (let i = 0; i < 12; i += 1) yield Buffer.alloc(MiB, i);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await expect(store.put('e/big', Readable.from(chunks()), { expect: { size: 12 * MiB, sha256: wrongSha } })).rejects.toMatchObject({
          code: ErrorCodes.CHECKSUM_MISMATCH,
          details: { reason: 'sha256', actualSize: 12 * MiB },
        });
        expect(await store.exists('e/big')).toBe(false);
        await expectOnly([]);
        if (fx.multipartPartsUploaded) expect(fx.multipartPartsUploaded() - partsBefore).toBeGreaterThanOrEqual(1);
        if (fx.multipartUploadsAborted) expect(fx.multipartUploadsAborted() - abortedBefore).toBeGreaterThanOrEqual(1);
      }, 60_000);

      it.each([
        ['a negative size', { size: -1 }],
        ['a fractional size', { size: 1.5 }],
        ['a sha256 that is not 64 hex digits', { sha256: 'abc' }],
      ])('rejects %s before any I/O', async (_label, expectation) => {
        await expect(store.put('e/invalid', data, { expect: expectation })).rejects.toMatchObject({
          name: 'ValidationError',
          code: ErrorCodes.INVALID_ARGUMENT,
        });
        await expectOnly([]);
      });
    });
  });
}
