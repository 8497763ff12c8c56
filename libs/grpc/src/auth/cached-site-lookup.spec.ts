import { cachedSiteLookup } from './cached-site-lookup';

describe('cachedSiteLookup', () => {
  function setup(answers: Record<string, string | undefined>, options: { ttlMs?: number; maxEntries?: number } = {}) {
    let clock = 0;
    const calls: string[] = [];
    let failNext = false;
    const lookup = cachedSiteLookup(
      async (key: string) => {
        calls.push(key);
        if (failNext) {
          failNext = false;
          throw new Error('database down');
        }
        return answers[key];
      },
      { ...options, now: () => clock },
    );
    return { lookup, calls, advance: (ms: number) => (clock += ms), failOnce: () => (failNext = true) };
  }

  it('reuses an answer within the TTL and asks again after it', async () => {
    const t = setup({ a: 'site-a' }, { ttlMs: 1000 });
    expect(await t.lookup('a')).toBe('site-a');
    t.advance(999);
    expect(await t.lookup('a')).toBe('site-a');
    expect(t.calls).toEqual(['a']);
    t.advance(1);
    expect(await t.lookup('a')).toBe('site-a');
    expect(t.calls).toEqual(['a', 'a']);
  });

  it('with a TTL of 0 is the lookup itself: every call asks', async () => {
    const t = setup({ a: 'site-a' }, { ttlMs: 0 });
    expect(await t.lookup('a')).toBe('site-a');
    expect(await t.lookup('a')).toBe('site-a');
    expect(t.calls).toEqual(['a', 'a']);
  });

  it('caches unknown keys too', async () => {
    const t = setup({});
    expect(await t.lookup('nope')).toBeUndefined();
    expect(await t.lookup('nope')).toBeUndefined();
    expect(t.calls).toEqual(['nope']);
  });

  it('shares one lookup between concurrent misses', async () => {
    const t = setup({ a: 'site-a' });
    expect(await Promise.all([t.lookup('a'), t.lookup('a'), t.lookup('a')])).toEqual(['site-a', 'site-a', 'site-a']);
    expect(t.calls).toEqual(['a']);
  });

  it('does not remember a failure', async () => {
    const t = setup({ a: 'site-a' });
    t.failOnce();
    await expect(t.lookup('a')).rejects.toThrow('database down');
    expect(await t.lookup('a')).toBe('site-a');
    expect(t.calls).toEqual(['a', 'a']);
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const t = setup({ a: '1', b: '2', c: '3' }, { maxEntries: 2 });
    await t.lookup('a');
    await t.lookup('b');
    await t.lookup('c');
    await t.lookup('a');
    expect(t.calls).toEqual(['a', 'b', 'c', 'a']);
  });
});
