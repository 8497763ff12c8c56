import { ValidationError } from '@geo/domain';

export interface BatchCollectorOptions {
  /** Largest batch returned. */
  readonly maxSize: number;
  /**
   * After the first item, how long to wait for each further one before returning what is there.
   * Messages of one pull arrive together; this only groups them, it never delays a lone message long.
   */
  readonly lingerMs: number;
}

const LINGER_EXPIRED = Symbol('linger expired');

/**
 * Groups items of an async iterator (a JetStream fetch) into batches without ever losing one: an
 * item whose `next()` was still pending when the linger expired is kept for the following batch.
 * Not safe for concurrent `next()` calls (one consumer loop uses it).
 */
export class BatchCollector<T> {
  private pending: Promise<IteratorResult<T>> | undefined;
  private ended = false;
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly options: BatchCollectorOptions,
  ) {
    if (!Number.isInteger(options.maxSize) || options.maxSize < 1) throw new ValidationError(`maxSize must be a positive integer, got ${options.maxSize}`);
    if (!(options.lingerMs >= 0)) throw new ValidationError(`lingerMs must be >= 0, got ${options.lingerMs}`);
  }

  /**
   * The next batch: waits for a first item, then takes more while each arrives within `lingerMs`,
   * up to `maxSize`. Resolves `[]` once the source is exhausted. A source error is thrown after the
   * items received before it were returned.
   */
  async next(): Promise<T[]> {
    const batch: T[] = [];
    while (batch.length < this.options.maxSize) {
      if (this.failure !== undefined) {
        if (batch.length > 0) return batch;
        const { error } = this.failure;
        this.failure = undefined;
        this.ended = true;
        throw error;
      }
      if (this.ended) return batch;
      this.pending ??= this.source.next();
      const result = batch.length === 0 ? await this.settle(this.pending) : await this.settleWithin(this.pending, this.options.lingerMs);
      if (result === LINGER_EXPIRED) return batch; // `pending` stays for the next batch
      this.pending = undefined;
      if (result === undefined) continue; // the source failed: recorded in `failure`
      if (result.done === true) {
        this.ended = true;
        return batch;
      }
      batch.push(result.value);
    }
    return batch;
  }

  private async settle(pending: Promise<IteratorResult<T>>): Promise<IteratorResult<T> | undefined> {
    try {
      return await pending;
    } catch (error) {
      this.failure = { error };
      return undefined;
    }
  }

  private async settleWithin(pending: Promise<IteratorResult<T>>, ms: number): Promise<IteratorResult<T> | undefined | typeof LINGER_EXPIRED> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof LINGER_EXPIRED>((resolve) => {
      timer = setTimeout(() => resolve(LINGER_EXPIRED), ms);
    });
    try {
      return await Promise.race([this.settle(pending), expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
