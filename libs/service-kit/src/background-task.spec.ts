import { ErrorCodes } from '@geo/domain';
import { BackgroundTask } from './background-task';

describe('BackgroundTask', () => {
  it('runs the body until stop aborts it, then waits for it to return', async () => {
    const seen: string[] = [];
    const task = new BackgroundTask('loop', async (signal) => {
      seen.push('started');
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await new Promise((r) => setTimeout(r, 5));
      seen.push('returned');
    });
    task.start();
    expect(seen).toEqual(['started']);
    await expect(task.stop(() => seen.push('after abort'))).resolves.toBe(true);
    expect(seen).toEqual(['started', 'after abort', 'returned']);
    await expect(task.stop()).resolves.toBe(false);
  });

  it('refuses a second start while running and can start again after stop', async () => {
    const task = new BackgroundTask('relay', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())));
    task.start();
    expect(() => task.start()).toThrow(expect.objectContaining({ code: ErrorCodes.INTERNAL, message: 'relay already started' }) as Error);
    await task.stop();
    task.start();
    await task.stop();
  });
});
