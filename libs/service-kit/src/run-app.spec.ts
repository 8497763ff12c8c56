import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { credentials } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@geo/proto';
import type { ServiceProcess } from './lifecycle';
import { healthServiceName, runApp } from './run-app';

class FakeProcess extends EventEmitter implements ServiceProcess {
  private resolveExit!: (code: number) => void;
  readonly exited = new Promise<number>((resolve) => (this.resolveExit = resolve));
  exit(code: number): void {
    this.resolveExit(code);
  }
}

function sink() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, destination };
}

// The status app reads NATS_URL (its NATS probe, ADR 0007); the test's own `build` never connects.
const ENV = { GEO_ROLE: 'primary', GEO_SITE_NAME: 'eu', DATABASE_URL: 'postgres://postgres@127.0.0.1/db', NATS_URL: 'nats://127.0.0.1:4222', GEO_STATUS_GRPC_PORT: '0' };

function fakeTracing() {
  const calls: string[] = [];
  return {
    calls,
    startTracing: (o: { serviceName: string }) => {
      calls.push(`start ${o.serviceName}`);
      return { shutdown: async () => void calls.push('shutdown') };
    },
  };
}

describe('runApp', () => {
  it('derives the health service name from the app name', () => {
    expect(healthServiceName('blob-transfer')).toBe('geo.v1.BlobTransferService');
    expect(healthServiceName('event-log')).toBe('geo.v1.EventLogService');
    expect(healthServiceName('status')).toBe('geo.v1.StatusService');
  });

  it('exits 1 with every bad variable in one fatal line, before starting tracing', async () => {
    const proc = new FakeProcess();
    const { lines, destination } = sink();
    const tracing = fakeTracing();
    await runApp('status', { startTracing: tracing.startTracing, env: { GEO_ROLE: 'boss' }, process: proc, logDestination: destination });
    await expect(proc.exited).resolves.toBe(1);
    expect(tracing.calls).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual(expect.objectContaining({ level: 'fatal', code: 'GEO_C0001', service: 'geo-status' }));
    expect(lines[0]!['msg']).toMatch(/GEO_ROLE: must be one of.*GEO_SITE_NAME: missing.*DATABASE_URL: missing/s);
  });

  it('exits 1 and flushes tracing when the app wiring fails', async () => {
    const proc = new FakeProcess();
    const { lines, destination } = sink();
    const tracing = fakeTracing();
    const build = () => Promise.reject(new Error('no wiring'));
    await runApp('status', { startTracing: tracing.startTracing, build, env: ENV, process: proc, logDestination: destination });
    await expect(proc.exited).resolves.toBe(1);
    expect(tracing.calls).toEqual(['start geo-status', 'shutdown']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'fatal', msg: 'cannot start: building the app failed' }));
  });

  it('serves health, runs app components, and on SIGTERM stops them and tracing, exiting 0', async () => {
    const proc = new FakeProcess();
    const { lines, destination } = sink();
    const tracing = fakeTracing();
    const events: string[] = [];
    const build = () => ({
      components: [{ name: 'worker', start: async () => void events.push('start worker'), stop: async () => void events.push('stop worker') }],
    });
    await runApp('status', { startTracing: tracing.startTracing, build, env: ENV, process: proc, logDestination: destination });
    let client: HealthClient | undefined;
    let stopped = false;
    try {
      const started = lines.find((l) => l['msg'] === 'started');
      expect(started).toEqual(expect.objectContaining({ app: 'status', role: 'primary', site: 'eu', service: 'geo-status' }));
      const port = started!['port'] as number;
      expect(port).toBeGreaterThan(0);

      client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
      const healthClient = client;
      const status = await new Promise((resolve, reject) =>
        healthClient.check({ service: 'geo.v1.StatusService' }, (err, res) => (err ? reject(err) : resolve(res.status))),
      );
      expect(status).toBe(HealthCheckResponse_ServingStatus.SERVING);

      proc.emit('SIGTERM');
      stopped = true;
      await expect(proc.exited).resolves.toBe(0);
      expect(events).toEqual(['start worker', 'stop worker']);
      expect(tracing.calls).toEqual(['start geo-status', 'shutdown']);
    } finally {
      // A failed assertion must not leave the gRPC server running (jest would never exit).
      client?.close();
      if (!stopped) {
        proc.emit('SIGTERM');
        await proc.exited;
      }
    }
  });
});
