import { Worker } from 'node:worker_threads';
import { errorFields, ErrorCodes, GeoError, isGeoError, UnavailableError, type LoggerPort } from '@geo/domain';
import type { Component } from '@geo/service-kit';
import { FS_MISSING_BLOB_ERRNOS, fsBlobPath } from '@geo/storage';
import { NOT_CHECKSUMMABLE_MESSAGE, type BlobChecksummer, type ChecksumOutcome } from './blob-checksum';


/** Threads reading and hashing; two let a cold disk serve two reads at once. */
export const DEFAULT_CHECKSUM_THREADS = 2;

/**
 * The thread's code, evaluated as CommonJS from this string (`eval: true`), so no TypeScript loader
 * is needed in the thread under tsx, jest or plain node. For each path of a job: open, read in 1 MiB
 * chunks into one reused buffer, hash, close; all synchronous, which is the point (see the class doc).
 */
const THREAD_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const chunk = Buffer.allocUnsafe(1024 * 1024);
function sha256(path) {
  const fd = openSync(path, 'r');
  try {
    const hash = createHash('sha256');
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return hash.digest('hex');
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}
parentPort.on('message', (job) => {
  const results = job.paths.map((path) => {
    try {
      return { checksum: sha256(path) };
    } catch (error) {
      return { errorCode: typeof error.code === 'string' ? error.code : 'EUNKNOWN', errorMessage: String(error.message) };
    }
  });
  parentPort.postMessage({ id: job.id, results });
});
`;

interface ThreadResult {
  readonly checksum?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

interface PendingJob {
  readonly resolve: (results: readonly ThreadResult[]) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, PendingJob>;
}

export interface FsThreadChecksummerOptions {
  /** The fs blob store's root (`BLOB_STORE_ROOT`). */
  readonly root: string;
  readonly threads?: number;
  readonly logger: LoggerPort;
}

/**
 * Checksums blobs of the filesystem blob store on worker threads, a whole batch per message.
 *
 * Why not `BlobStore.get`: on this VM every asynchronous fs call costs the event loop ~25–30 µs
 * (a libuv thread-pool hand-off and wake-up), four per blob (open, stat, read, close), plus a 1 MiB
 * buffer per stream read; for 4–64 KiB blobs that made verification five times slower than
 * `sha256sum` (tools/bench/verify.ts). Here one message carries a batch, and the thread reads with
 * plain synchronous calls, never blocking the event loop that serves gRPC and PostgreSQL.
 *
 * Shared with `FsBlobStore` by construction: the key-to-path rule (`fsBlobPath`) and what counts as
 * "no such blob" (`FS_MISSING_BLOB_ERRNOS`); the conformance spec still compares the two. The open
 * descriptor pins one version of a blob replaced meanwhile (writes are rename-atomic).
 */
export class FsThreadChecksummer implements BlobChecksummer, Component {
  readonly name = 'fs-checksum-threads';
  private readonly threads: number;
  private slots: Slot[] = [];
  private nextJobId = 0;
  private stopping = false;

  constructor(private readonly options: FsThreadChecksummerOptions) {
    this.threads = options.threads ?? DEFAULT_CHECKSUM_THREADS;
    if (!Number.isInteger(this.threads) || this.threads <= 0) throw new GeoError(ErrorCodes.CONFIG_INVALID, `checksum threads must be a positive integer, got ${this.threads}`);
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.slots = Array.from({ length: this.threads }, () => this.createSlot());
  }

  /** Terminates the threads; jobs still waiting fail as UNAVAILABLE (their rows stay started). */
  async stop(): Promise<void> {
    this.stopping = true;
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    for (const slot of slots) this.failPending(slot, new UnavailableError('checksum threads stopped'));
  }

  async checksumAll(keys: readonly string[]): Promise<ChecksumOutcome[]> {
    const paths = keys.map((key) => this.pathOf(key));
    const outcomes: (ChecksumOutcome | undefined)[] = paths.map((p) => (typeof p === 'string' ? undefined : p));
    const wanted = keys.flatMap((key, i) => (outcomes[i] === undefined ? [{ i, key, path: paths[i] as string }] : []));
    if (wanted.length > 0) {
      const results = await this.run(wanted.map(({ path }) => path));
      wanted.forEach(({ i, key }, n) => (outcomes[i] = this.outcomeOf(key, results[n])));
    }
    return outcomes.map((o) => o ?? { kind: 'error', message: 'internal: no checksum outcome', code: ErrorCodes.INTERNAL });
  }

  /** The blob's path by the store's own rule, or the outcome for an unsafe key. */
  private pathOf(key: string): string | ChecksumOutcome {
    try {
      return fsBlobPath(this.options.root, key);
    } catch (error) {
      return { kind: 'error', message: error instanceof Error ? error.message : String(error), ...(isGeoError(error) ? { code: error.code } : {}) };
    }
  }

  private outcomeOf(key: string, result: ThreadResult | undefined): ChecksumOutcome {
    if (result?.checksum !== undefined) return { kind: 'checksum', checksum: result.checksum };
    const code = result?.errorCode ?? 'EUNKNOWN';
    if (FS_MISSING_BLOB_ERRNOS.has(code)) return { kind: 'error', message: NOT_CHECKSUMMABLE_MESSAGE, code: ErrorCodes.FILE_NOT_FOUND };
    // Same wording as FsBlobStore's I/O failures.
    return { kind: 'error', message: `fs blob store: read ${key} failed: ${code}`, code: ErrorCodes.UNAVAILABLE };
  }

  private run(paths: readonly string[]): Promise<readonly ThreadResult[]> {
    const slot = this.leastBusy();
    if (slot === undefined) return Promise.reject(new UnavailableError('checksum threads are not running'));
    const id = this.nextJobId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, paths });
    });
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) if (best === undefined || slot.pending.size < best.pending.size) best = slot;
    return best;
  }

  private createSlot(): Slot {
    const pending = new Map<number, PendingJob>();
    // The handlers reach the slot lazily: it exists by the time any event arrives.
    const slot: Slot = { worker: this.spawn(pending, () => slot), pending };
    return slot;
  }

  private spawn(pending: Map<number, PendingJob>, slotOf: () => Slot): Worker {
    const worker = new Worker(THREAD_SOURCE, { eval: true, name: 'geo-checksum' });
    worker.on('message', (message: { id: number; results: ThreadResult[] }) => {
      const job = pending.get(message.id);
      pending.delete(message.id);
      job?.resolve(message.results);
    });
    // A thread that dies takes its jobs with it: fail them (their rows stay started until the
    // timeout sweep) and start a replacement, so one bad moment does not stop verification.
    const replace = (error: unknown): void => {
      const slot = slotOf();
      if (this.stopping || slot.worker !== worker) return;
      this.options.logger.error(errorFields(error), 'checksum: a checksum thread died; starting a new one');
      this.failPending(slot, new UnavailableError('checksum thread died', { cause: error }));
      slot.worker = this.spawn(pending, slotOf);
    };
    worker.on('error', replace);
    worker.on('exit', (code) => replace(new Error(`checksum thread exited with code ${code}`)));
    return worker;
  }

  private failPending(slot: Slot, error: Error): void {
    for (const job of slot.pending.values()) job.reject(error);
    slot.pending.clear();
  }
}
