import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { AppName } from '@geo/config';

const ROOT = join(__dirname, '..', '..', '..');
const STARTUP_TIMEOUT_MS = 45_000;

/**
 * One service as a real process (`node --require tsx/cjs apps/<app>/src/main.ts`, as deployed) that
 * a test can stop (SIGTERM, as an operator does) and start again with the same environment. Used
 * only by specs.
 */
export interface AppProcess {
  readonly app: AppName;
  /** Starts the process and resolves once it logged "started". */
  start(): Promise<void>;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** The last lines of its output, for failure messages. */
  tail(lines?: number): string;
}

export function appProcess(app: AppName, env: Readonly<Record<string, string>>): AppProcess {
  let child: ChildProcess | undefined;
  const output: string[] = [];

  const exited = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) resolve();
      else c.once('exit', () => resolve());
    });

  return {
    app,
    async start() {
      if (child !== undefined) throw new Error(`${app} is already running`);
      const started = spawn(process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'apps', app, 'src', 'main.ts')], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${app} did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output.slice(-30).join('\n')}`)), STARTUP_TIMEOUT_MS);
        let buffered = '';
        const onData = (d: Buffer): void => {
          buffered += d.toString('utf8');
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            output.push(line);
            if (line.includes('"msg":"started"')) {
              clearTimeout(timer);
              resolve();
            }
          }
        };
        started.stdout?.on('data', onData);
        started.stderr?.on('data', (d: Buffer) => output.push(d.toString('utf8')));
        started.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${app} exited with ${String(code)} before starting:\n${output.slice(-30).join('\n')}`));
        });
      });
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined) return;
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      await exited(running);
      clearTimeout(timer);
    },
    tail(lines = 30) {
      return output.slice(-lines).join('\n');
    },
  };
}
