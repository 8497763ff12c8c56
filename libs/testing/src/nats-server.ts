import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private nats-server with JetStream for tests that must stop and restart NATS (the shared one on
 * 4222 is never touched). The store directory survives `stop()`/`start()`, so streams and their
 * messages persist across a restart like a real outage; `dispose()` stops it and deletes the store.
 */
export interface PrivateNatsServer {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

const NATS_SERVER_BIN = process.env.GEO_TEST_NATS_SERVER_BIN ?? 'nats-server';

function pickPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPrivateNatsServer(): Promise<PrivateNatsServer> {
  const port = await pickPort();
  const storeDir = mkdtempSync(join(tmpdir(), 'geo-nats-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child !== undefined) return;
    const proc = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    child = proc;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode} (is ${NATS_SERVER_BIN} installed?)`);
      if (await portOpen(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    child = undefined;
    throw new Error(`nats-server did not listen on ${port} within 10 s`);
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
