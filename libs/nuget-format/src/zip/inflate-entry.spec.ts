import { crc32, deflateRawSync } from 'node:zlib';
import { rejectReasonOf } from '../reject';
import { inflateEntry } from './inflate-entry';

/** Deterministic data that compresses a little (so deflate output is not trivial). */
function sampleData(size: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) data[i] = (i * 31 + (i >> 7)) & 0xff;
  return data;
}

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return rejectReasonOf(error) ?? `unexpected: ${String(error)}`;
  }
  return undefined;
}

// Both code paths: synchronous up to 1 MiB, streamed above.
describe.each([
  ['a small entry', 10_000],
  ['an empty entry', 0],
  ['a large (streamed) entry', 3 * 1024 * 1024 + 17],
])('inflateEntry on %s', (_name, size) => {
  const data = sampleData(size);
  const compressed = deflateRawSync(data);

  it('returns the bytes and their CRC-32 when kept', async () => {
    const result = await inflateEntry('e', compressed, size, true);
    expect(result.bytes?.equals(data)).toBe(true);
    expect(result.crc32).toBe(crc32(data));
  });

  it('returns only the CRC-32 when not kept', async () => {
    expect(await inflateEntry('e', compressed, size, false)).toEqual({ bytes: undefined, crc32: crc32(data) });
  });

  it('rejects real data larger than declared', async () => {
    const bigger = deflateRawSync(Buffer.concat([data, Buffer.from('extra')]));
    expect(await reasonOf(inflateEntry('e', bigger, size, true))).toBe('zip.size_mismatch');
  });

  it('rejects real data smaller than declared', async () => {
    expect(await reasonOf(inflateEntry('e', compressed, size + 1, true))).toBe('zip.size_mismatch');
  });

  // An empty entry has nothing to cut.
  (size === 0 ? it.skip : it)('rejects a truncated deflate stream', async () => {
    expect(await reasonOf(inflateEntry('e', compressed.subarray(0, Math.floor(compressed.length / 2)), size, true))).toMatch(/^zip\.(corrupt_entry|size_mismatch)$/);
  });

  it('rejects garbage as corrupt deflate data', async () => {
    expect(await reasonOf(inflateEntry('e', Buffer.from([0xff, 0xff, 0xff, 0xff]), size, true))).toBe('zip.corrupt_entry');
  });
});

it('stops a streamed bomb one chunk past the declared size instead of inflating it all', async () => {
  const declared = 2 * 1024 * 1024;
  const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  let message = '';
  try {
    await inflateEntry('bomb', bomb, declared, false);
  } catch (error) {
    message = (error as Error).message;
  }
  const inflated = Number(/inflates to at least (\d+)/.exec(message)?.[1]);
  expect(inflated).toBeGreaterThan(declared);
  expect(inflated).toBeLessThanOrEqual(declared + 64 * 1024);
});
