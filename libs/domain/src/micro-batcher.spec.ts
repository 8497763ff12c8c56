import { ErrorCodes } from './errors/codes';
import { ValidationError } from './errors/geo-error';
import { MicroBatcher } from './micro-batcher';

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('MicroBatcher', () => {
  it('runs a lone call at once, as a bulk call of one', async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, string>(async (inputs) => {
      calls.push([...inputs]);
      return inputs.map((n) => `#${n}`);
    }, { maxInputs: 5, maxInFlight: 1 });
    await expect(batcher.submit(7)).resolves.toBe('#7');
    expect(calls).toEqual([[7]]);
  });

  it('merges calls made while the bulk calls in flight run, in order and up to maxInputs, and routes each output to its caller', async () => {
    const calls: number[][] = [];
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const batcher = new MicroBatcher<number, number>(async (inputs) => {
      calls.push([...inputs]);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return inputs.map((n) => n * 10);
    }, { maxInputs: 3, maxInFlight: 1 });
    const first = batcher.submit(1);
    const rest = [2, 3, 4, 5, 6].map((n) => batcher.submit(n));
    expect(calls).toEqual([[1]]);
    gates[0]!.resolve();
    await expect(first).resolves.toBe(10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([[1], [2, 3, 4]]);
    gates[1]!.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([[1], [2, 3, 4], [5, 6]]);
    gates[2]!.resolve();
    await expect(Promise.all(rest)).resolves.toEqual([20, 30, 40, 50, 60]);
  });

  it('runs up to maxInFlight bulk calls at once', async () => {
    let running = 0;
    let peak = 0;
    const batcher = new MicroBatcher<number, number>(async (inputs) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return [...inputs];
    }, { maxInputs: 1, maxInFlight: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.submit(i)));
    expect(peak).toBe(3);
  });

  it('rejects every caller of a failed bulk call, and later calls still run', async () => {
    let fail = true;
    const gate = deferred<void>();
    const batcher = new MicroBatcher<number, number>(async (inputs) => {
      if (inputs[0] === 0) await gate.promise;
      if (fail && inputs[0] !== 0) throw new Error('database down');
      return [...inputs];
    }, { maxInputs: 10, maxInFlight: 1 });
    const blocker = batcher.submit(0);
    const failing = [batcher.submit(1), batcher.submit(2)];
    gate.resolve();
    await blocker;
    await expect(Promise.all(failing.map((p) => p.then(() => 'ok', (e: Error) => e.message)))).resolves.toEqual(['database down', 'database down']);
    fail = false;
    await expect(batcher.submit(3)).resolves.toBe(3);
  });

  it('rejects as INTERNAL when the bulk call returns a wrong number of outputs', async () => {
    const batcher = new MicroBatcher<number, number>(async () => [], { maxInputs: 10, maxInFlight: 1 });
    await expect(batcher.submit(1)).rejects.toMatchObject({ code: ErrorCodes.INTERNAL });
  });

  it.each([
    [{ maxInputs: 0, maxInFlight: 1 }],
    [{ maxInputs: 1, maxInFlight: 0 }],
    [{ maxInputs: 1.5, maxInFlight: 1 }],
  ])('refuses options %j', (options) => {
    expect(() => new MicroBatcher<number, number>(async (i) => [...i], options)).toThrow(ValidationError);
  });
});
