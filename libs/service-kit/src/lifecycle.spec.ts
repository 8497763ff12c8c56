import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { runService, type Component, type ServiceProcess } from './lifecycle';

/** A fake `process`: signals are emitted by the test, `exit` resolves `exited`. */
class FakeProcess extends EventEmitter implements ServiceProcess {
  readonly exits: number[] = [];
  private resolveExit!: (code: number) => void;
  readonly exited = new Promise<number>((resolve) => (this.resolveExit = resolve));
  exit(code: number): void {
    this.exits.push(code);
    this.resolveExit(code);
  }
}

function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ service: 'svc', site: 'eu', level: 'debug', destination }) };
}

function component(name: string, events: string[], behaviour: { failStart?: boolean; failStop?: boolean; stopMs?: number } = {}): Component {
  return {
    name,
    async start() {
      events.push(`start ${name}`);
      if (behaviour.failStart) throw new Error(`${name} cannot start`);
    },
    async stop() {
      events.push(`stop ${name}`);
      if (behaviour.stopMs) await new Promise((r) => setTimeout(r, behaviour.stopMs));
      if (behaviour.failStop) throw new Error(`${name} cannot stop`);
    },
  };
}

describe('runService', () => {
  it('starts in order, logs "started", stops in reverse on SIGTERM and exits 0', async () => {
    const proc = new FakeProcess();
    const events: string[] = [];
    const { lines, logger } = recordingLogger();
    await runService({
      name: 'svc',
      components: [component('a', events), component('b', events), component('c', events)],
      logger,
      process: proc,
      startedFields: () => ({ port: 1234 }),
    });
    expect(events).toEqual(['start a', 'start b', 'start c']);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'started', port: 1234, service: 'svc', site: 'eu', level: 'info' }));

    proc.emit('SIGTERM');
    await expect(proc.exited).resolves.toBe(0);
    expect(events.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it.each(['SIGINT', 'SIGTERM'])('handles %s and ignores a second signal while stopping', async (signal) => {
    const proc = new FakeProcess();
    const events: string[] = [];
    const { logger } = recordingLogger();
    await runService({ name: 'svc', components: [component('a', events, { stopMs: 20 })], logger, process: proc });
    proc.emit(signal);
    proc.emit(signal);
    await expect(proc.exited).resolves.toBe(0);
    expect(events.filter((e) => e === 'stop a')).toHaveLength(1);
    expect(proc.exits).toEqual([0]);
  });

  it('on a start failure logs it, stops what started (not the failed one) and exits 1', async () => {
    const proc = new FakeProcess();
    const events: string[] = [];
    const { lines, logger } = recordingLogger();
    await runService({
      name: 'svc',
      components: [component('a', events), component('b', events, { failStart: true }), component('c', events)],
      logger,
      process: proc,
    });
    await expect(proc.exited).resolves.toBe(1);
    expect(events).toEqual(['start a', 'start b', 'stop a']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'fatal', component: 'b', msg: 'component failed to start' }));
    expect(lines.some((l) => l['msg'] === 'started')).toBe(false);
  });

  it('exits 1 when a stop fails, still stopping the others', async () => {
    const proc = new FakeProcess();
    const events: string[] = [];
    const { logger } = recordingLogger();
    await runService({ name: 'svc', components: [component('a', events), component('b', events, { failStop: true })], logger, process: proc });
    proc.emit('SIGTERM');
    await expect(proc.exited).resolves.toBe(1);
    expect(events.slice(2)).toEqual(['stop b', 'stop a']);
  });

  it('exits 1 when stopping exceeds the shutdown timeout', async () => {
    const proc = new FakeProcess();
    const events: string[] = [];
    const { lines, logger } = recordingLogger();
    await runService({
      name: 'svc',
      components: [component('slow', events, { stopMs: 1000 })],
      logger,
      process: proc,
      shutdownTimeoutMs: 50,
    });
    const t0 = Date.now();
    proc.emit('SIGTERM');
    await expect(proc.exited).resolves.toBe(1);
    expect(Date.now() - t0).toBeLessThan(900);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'shutdown timed out', timeoutMs: 50 }));
  });

  it.each(['uncaughtException', 'unhandledRejection'])('logs a %s and exits 1', async (event) => {
    const proc = new FakeProcess();
    const { lines, logger } = recordingLogger();
    await runService({ name: 'svc', components: [], logger, process: proc });
    proc.emit(event, new Error('boom'));
    await expect(proc.exited).resolves.toBe(1);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'fatal', kind: event, err: expect.objectContaining({ message: 'boom' }) }));
  });
});
