import { ValidationError } from '@geo/domain';

/**
 * Bounds the bytes of blobs being downloaded at once, so a worker's memory does not grow with the
 * number of large blobs in flight: every download holds socket and stream buffers plus a write
 * batch of up to 1 MiB, and the garbage of those grows with the bytes moving at once. Small blobs barely touch the
 * budget, so they still run at full concurrency; large ones queue. A blob larger than the whole
 * budget takes all of it (runs alone) instead of waiting for ever.
 */
export class ByteBudget {
  private available: number;
  private readonly waiting: Array<{ readonly bytes: number; readonly grant: () => void }> = [];

  constructor(readonly capacityBytes: number) {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0) throw new ValidationError(`byte budget must be a positive integer, got ${capacityBytes}`);
    this.available = capacityBytes;
  }

  /** Waits until `bytes` (capped at the capacity) are free, takes them, and returns the release function. */
  async acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const want = Math.min(Math.max(0, Math.ceil(bytes)), this.capacityBytes);
    if (this.waiting.length === 0 && want <= this.available) {
      this.available -= want;
      return this.releaser(want);
    }
    await new Promise<void>((resolve, reject) => {
      const entry = { bytes: want, grant: () => resolve() };
      this.waiting.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            reject(signal.reason instanceof Error ? signal.reason : new Error('byte budget wait aborted'));
            this.drain();
          }
        },
        { once: true },
      );
    });
    return this.releaser(want);
  }

  private releaser(bytes: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.available += bytes;
      this.drain();
    };
  }

  /** Grants waiters in arrival order while they fit (first come first served: no starvation of large blobs). */
  private drain(): void {
    while (this.waiting.length > 0 && this.waiting[0]!.bytes <= this.available) {
      const next = this.waiting.shift()!;
      this.available -= next.bytes;
      next.grant();
    }
  }
}
