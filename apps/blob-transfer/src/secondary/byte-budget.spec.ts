import { ByteBudget } from './byte-budget';

const tick = () => new Promise((r) => setImmediate(r));

describe('ByteBudget', () => {
  it('grants at once while bytes are free and queues beyond, in arrival order', async () => {
    const budget = new ByteBudget(100);
    const a = await budget.acquire(60);
    const granted: string[] = [];
    const b = budget.acquire(50).then((release) => (granted.push('b'), release));
    const c = budget.acquire(10).then((release) => (granted.push('c'), release));
    await tick();
    // c would fit, but b came first: no overtaking, so a large blob is never starved.
    expect(granted).toEqual([]);
    a();
    await tick();
    expect(granted).toEqual(['b', 'c']);
    (await b)();
    (await c)();
  });

  it('lets a blob larger than the budget run alone', async () => {
    const budget = new ByteBudget(100);
    const huge = await budget.acquire(10_000);
    let small = false;
    const next = budget.acquire(1).then((release) => ((small = true), release));
    await tick();
    expect(small).toBe(false);
    huge();
    (await next)();
    expect(small).toBe(true);
  });

  it('release is idempotent', async () => {
    const budget = new ByteBudget(10);
    const release = await budget.acquire(10);
    release();
    release();
    const a = await budget.acquire(10);
    let second = false;
    void budget.acquire(1).then(() => (second = true));
    await tick();
    expect(second).toBe(false);
    a();
  });

  it('an aborted wait leaves the queue and lets the next one through', async () => {
    const budget = new ByteBudget(10);
    const held = await budget.acquire(8);
    const controller = new AbortController();
    const big = budget.acquire(5, controller.signal);
    let smallGranted = false;
    const small = budget.acquire(2).then((release) => ((smallGranted = true), release));
    controller.abort(new Error('stop'));
    await expect(big).rejects.toThrow('stop');
    await tick();
    expect(smallGranted).toBe(true);
    (await small)();
    held();
  });

  it('rejects a non-positive capacity', () => {
    expect(() => new ByteBudget(0)).toThrow(/positive/);
  });
});
