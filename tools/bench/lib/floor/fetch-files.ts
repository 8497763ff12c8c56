/**
 * The bare secondary of `npm run bench -- transfer-floor`: downloads every key of a list with the
 * durability a synced blob has (GET over keep-alive, SHA-256 while streaming, write to a temp file
 * beside the destination, fsync, rename, fsync the directory) and nothing else: no database, no
 * queue, no authentication, no logging. It is the floor any Node implementation of the protocol
 * pays on this machine. Prints one JSON line: `{"seconds":…,"cpu_ms":…,"bytes":…}`.
 *
 * Args: <port> <dest> <list file> <concurrency> <byte budget>. Downloads are started while fewer
 * than `concurrency` run and the announced sizes in flight stay within the byte budget (the
 * secondary's memory bound; one blob larger than the budget runs alone).
 */
import { createHash } from 'node:crypto';
import { close, fsync, mkdir, open, readFileSync, rename, writev } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const [port, dest, listFile, concurrencyArg, budgetArg] = process.argv.slice(2);
if (port === undefined || dest === undefined || listFile === undefined) throw new Error('usage: fetch-files <port> <dest> <list> <concurrency> <budget>');
const concurrency = Number(concurrencyArg ?? 64);
const budget = Number(budgetArg ?? 64 * 1024 * 1024);
const entries = readFileSync(listFile, 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const [key, size] = line.split(' ');
    return { key: key!, size: Number(size) };
  });
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const PENDING_MAX = 1024 * 1024;

const openP = promisify(open);
const fsyncP = promisify(fsync);
const closeP = promisify(close);
const renameP = promisify(rename);
const mkdirP = promisify(mkdir);

function request(key: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get({ host: '127.0.0.1', port: Number(port), path: `/${key}`, agent }, resolve).on('error', reject));
}

/** Streams the answer into `fd`: writes batches of up to 1 MiB while reading on, pausing above that. */
function drain(res: IncomingMessage, fd: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let writing = false;
    let ended = false;
    const flush = (): void => {
      if (writing) return;
      if (pending.length === 0) {
        if (ended) resolve(hash.digest('hex'));
        return;
      }
      writing = true;
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      res.resume();
      writev(fd, batch, (error) => {
        writing = false;
        if (error !== null) reject(error);
        else flush();
      });
    };
    res.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= PENDING_MAX) res.pause();
      flush();
    });
    res.on('end', () => {
      ended = true;
      flush();
    });
    res.on('error', reject);
  });
}

async function fetchOne(key: string): Promise<void> {
  const target = join(dest!, key);
  const temp = `${target}.tmp`;
  await mkdirP(dirname(target), { recursive: true });
  const fd = await openP(temp, 'w');
  const res = await request(key);
  if (res.statusCode !== 200) throw new Error(`GET ${key}: ${res.statusCode}`);
  await drain(res, fd);
  await fsyncP(fd);
  await closeP(fd);
  await renameP(temp, target);
  const dirFd = await openP(dirname(target), 'r');
  await fsyncP(dirFd);
  await closeP(dirFd);
}

async function main(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  let next = 0;
  let running = 0;
  let inFlightBytes = 0;
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (next < entries.length && running < concurrency) {
        const entry = entries[next]!;
        if (running > 0 && inFlightBytes + entry.size > budget) break;
        next += 1;
        running += 1;
        inFlightBytes += entry.size;
        fetchOne(entry.key).then(() => {
          running -= 1;
          inFlightBytes -= entry.size;
          bytes += entry.size;
          if (next === entries.length && running === 0) resolve();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ seconds, cpu_ms: (cpu.user + cpu.system) / 1000, bytes }));
  agent.destroy();
}

void main();
