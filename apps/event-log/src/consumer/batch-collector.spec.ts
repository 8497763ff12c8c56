import { BatchCollector } from './batch-collector';

/** An async iterator fed by the test: `push` delivers, `end` finishes, `fail` errors. */
function channel<T>() {
  const items: T[] = [];
  const waiting: ((r: IteratorResult<T>) => void)[] = [];
  const failing: ((e: Error) => void)[] = [];
  let done = false;
  let error: Error | undefined;
  const iterator: AsyncIterator<T> = {
    next: () =>
      new Promise<IteratorResult<T>>((resolve, reject) => {
        if (items.length > 0) resolve({ done: false, value: items.shift() as T });
        else if (error !== undefined) reject(error);
        else if (done) resolve({ done: true, value: undefined });
        else {
          waiting.push(resolve);
          failing.push(reject);
        }
      }),
  };
  return {
    iterator,
    push(...values: T[]) {
      for (const value of values) {
        const resolve = waiting.shift();
        failing.shift();
        if (resolve !== undefined) resolve({ done: false, value });
        else items.push(value);
      }
    },
    end() {
      done = true;
      failing.splice(0);
      for (const resolve of waiting.splice(0)) resolve({ done: true, value: undefined });
    },
    fail(e: Error) {
      error = e;
      waiting.splice(0);
      for (const reject of failing.splice(0)) reject(e);
    },
  };
}

describe('BatchCollector', () => {
  it('returns what is there at once, up to maxSize, and keeps the rest for the next batch', async () => {
    const c = channel<number>();
    c.push(1, 2, 3, 4, 5);
    const collector = new BatchCollector(c.iterator, { maxSize: 3, lingerMs: 5 });
    expect(await collector.next()).toEqual([1, 2, 3]);
    expect(await collector.next()).toEqual([4, 5]);
  });

  it('waits for the first item, then closes the batch after the linger without losing the item still pending', async () => {
    const c = channel<number>();
    const collector = new BatchCollector(c.iterator, { maxSize: 10, lingerMs: 20 });
    const first = collector.next();
    c.push(1);
    expect(await first).toEqual([1]);
    // The `next()` issued during the linger is still pending: the item it receives belongs to the next batch.
    c.push(2);
    expect(await collector.next()).toEqual([2]);
  });

  it('resolves [] once the source ends, after the last items', async () => {
    const c = channel<string>();
    c.push('a');
    c.end();
    const collector = new BatchCollector(c.iterator, { maxSize: 10, lingerMs: 5 });
    expect(await collector.next()).toEqual(['a']);
    expect(await collector.next()).toEqual([]);
    expect(await collector.next()).toEqual([]);
  });

  it('returns the items received before a source error, then throws it once', async () => {
    const c = channel<number>();
    const collector = new BatchCollector(c.iterator, { maxSize: 10, lingerMs: 50 });
    c.push(1);
    const batch = collector.next();
    setTimeout(() => c.fail(new Error('heartbeats missed')), 5);
    expect(await batch).toEqual([1]);
    await expect(collector.next()).rejects.toThrow('heartbeats missed');
    expect(await collector.next()).toEqual([]);
  });

  it.each([
    [{ maxSize: 0, lingerMs: 1 }],
    [{ maxSize: 1.5, lingerMs: 1 }],
    [{ maxSize: 1, lingerMs: -1 }],
  ])('refuses options %p', (options) => {
    expect(() => new BatchCollector(channel<number>().iterator, options)).toThrow();
  });
});
