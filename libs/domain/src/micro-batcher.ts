import { ErrorCodes } from './errors/codes';
import { GeoError, ValidationError } from './errors/geo-error';

export interface MicroBatcherOptions {
  /** Most inputs one bulk call takes; the rest wait for the next one. */
  readonly maxInputs: number;
  /** Bulk calls allowed to run at once (more overlap, fewer inputs merged per call). */
  readonly maxInFlight: number;
}

interface Pending<I, O> {
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Merges concurrent calls into bulk calls (group commit at the application level). A call made while
 * `maxInFlight` bulk calls run waits in a queue; when one finishes, the next bulk call takes every
 * queued input (up to `maxInputs`). A lone call is never delayed: with a free slot it runs at once.
 *
 * `run` receives the inputs in submission order and must return exactly one output per input, in
 * the same order. If it throws, every call of that bulk call rejects with the error.
 */
export class MicroBatcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (inputs: readonly I[]) => Promise<readonly O[]>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (!Number.isInteger(options.maxInputs) || options.maxInputs <= 0) throw new ValidationError(`maxInputs must be a positive integer, got ${options.maxInputs}`);
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight <= 0) {
      throw new ValidationError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
    }
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const bulk = this.queue.splice(0, this.options.maxInputs);
      this.inFlight += 1;
      void this.runBulk(bulk).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async runBulk(bulk: readonly Pending<I, O>[]): Promise<void> {
    try {
      const outputs = await this.run(bulk.map((p) => p.input));
      if (outputs.length !== bulk.length) {
        throw new GeoError(ErrorCodes.INTERNAL, `bulk call returned ${outputs.length} outputs for ${bulk.length} inputs`);
      }
      bulk.forEach((p, i) => p.resolve(outputs[i] as O));
    } catch (error) {
      for (const p of bulk) p.reject(error);
    }
  }
}
