import { spawn } from 'node:child_process';
import type { LoggerPort } from '@geo/domain';

/** The median of some measurements (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Progress and problems go to stderr; stdout stays for the summary lines and the JSON result. */
export const stderrLogger: LoggerPort = {
  info: () => undefined,
  warn: (fields, msg) => console.error(`warn: ${msg} ${JSON.stringify(fields)}`),
  error: (fields, msg) => console.error(`error: ${msg} ${JSON.stringify(fields)}`),
};

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

/** Seconds `sha256sum` takes over the files listed (one path per line): the verification baseline. */
export async function timeSha256sum(listFile: string): Promise<number> {
  const started = process.hrtime.bigint();
  await run('xargs', ['-a', listFile, 'sha256sum']);
  return Number(process.hrtime.bigint() - started) / 1e9;
}
