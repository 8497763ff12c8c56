import { randomBytes } from 'node:crypto';
import { rechunk } from './rechunk';

async function* from(pieces: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield piece;
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(Buffer.from(chunk)); // copy: yielded views may share memory
  return out;
}

const bounds = { minBytes: 10, maxBytes: 25 };

describe('rechunk', () => {
  it.each([
    ['many small pieces', [3, 3, 3, 3, 3, 3, 3], [12, 9]],
    ['one huge piece', [60], [25, 25, 10]],
    ['a piece just under the minimum, then the end', [9], [9]],
    ['exact maximums', [25, 25], [25, 25]],
    ['a large remainder carried over', [30, 4], [25, 9]],
    ['empty pieces are skipped', [0, 5, 0, 5, 0], [10]],
    ['nothing', [], []],
  ])('%s: piece sizes %j → chunk sizes %j', async (_name, pieceSizes, chunkSizes) => {
    const pieces = pieceSizes.map((n) => randomBytes(n));
    const chunks = await collect(rechunk(from(pieces), bounds));
    expect(chunks.map((c) => c.length)).toEqual(chunkSizes);
    expect(Buffer.concat(chunks).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('keeps every chunk but the last within the bounds on random input', async () => {
    const pieces = Array.from({ length: 200 }, () => randomBytes(Math.floor(Math.random() * 40)));
    const chunks = await collect(rechunk(from(pieces), bounds));
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(bounds.minBytes);
      expect(chunk.length).toBeLessThanOrEqual(bounds.maxBytes);
    }
    expect(Buffer.concat(chunks).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('pulls from the source only as chunks are consumed', async () => {
    let pulled = 0;
    async function* counting(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled += 1;
        yield Buffer.alloc(5);
      }
    }
    const iterator = rechunk(counting(), bounds);
    await iterator.next();
    await iterator.return();
    expect(pulled).toBe(2);
  });

  it('rejects nonsensical bounds', async () => {
    await expect(collect(rechunk(from([]), { minBytes: 10, maxBytes: 5 }))).rejects.toThrow(RangeError);
  });
});
