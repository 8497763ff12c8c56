// A nats-server of the test's own (integration tests, the demo), which it may stop, restart and
// wipe to simulate an outage. The shared server on 4222 must never be stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const NATS_SERVER_BINARY = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';
const READY_TIMEOUT_MS = 5000;

/** A JetStream-enabled nats-server on a loopback port that stays the same across restarts. */
export interface PrivateNatsServer {
  readonly url: string;
  readonly port: number;
  /** Starts the server (again) with the same port and storage directory; resolves once it is ready. */
  start(): Promise<void>;
  /** SIGTERM and wait for exit; JetStream data stays on disk for the next start. */
  stop(): Promise<void>;
  /** Deletes the JetStream storage (server must be stopped): the next start is a blank server. */
  wipe(): Promise<void>;
  /** Stops the server and removes its storage. */
  dispose(): Promise<void>;
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`nats-server not ready after ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Server is ready')) finish();
    };
    const onExit = (code: number | null): void => fail(new Error(`nats-server exited with ${code} before it was ready:\n${output}`));
    function cleanUp(): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    }
    function finish(): void {
      cleanUp();
      resolve();
    }
    function fail(error: Error): void {
      cleanUp();
      reject(error);
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function privateNatsServer(): Promise<PrivateNatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'geo-nats-'));
  let child: ChildProcess | undefined;

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  };

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async start() {
      if (child !== undefined) throw new Error('private nats-server already running');
      const started = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = started;
      try {
        await waitUntilReady(started);
      } catch (error) {
        await stop();
        throw error;
      }
      // Keep draining stderr so a chatty server never blocks on a full pipe.
      started.stderr?.resume();
    },
    stop,
    async wipe() {
      if (child !== undefined) throw new Error('stop the private nats-server before wiping it');
      await rm(storeDir, { recursive: true, force: true });
    },
    async dispose() {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
