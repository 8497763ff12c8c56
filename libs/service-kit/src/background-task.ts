import { ErrorCodes, GeoError } from '@geo/domain';

/**
 * The start/stop half of a component whose work is a loop in the background (relay, consumer,
 * sweeps, scheduler, workers): `start` launches `body` with a fresh AbortSignal and returns at once
 * (a peer being down must not block start-up); `stop` aborts it and waits for the loop to return.
 */
export class BackgroundTask {
  private running: { readonly controller: AbortController; readonly done: Promise<void> } | undefined;

  constructor(
    /** Names the component in the "already started" error. */
    private readonly label: string,
    private readonly body: (signal: AbortSignal) => Promise<void>,
  ) {}

  /** Throws the "already started" error when running: for a start that must do work before `start`. */
  assertStopped(): void {
    if (this.running !== undefined) throw new GeoError(ErrorCodes.INTERNAL, `${this.label} already started`);
  }

  start(): void {
    this.assertStopped();
    const controller = new AbortController();
    this.running = { controller, done: this.body(controller.signal) };
  }

  /**
   * Aborts the loop, runs `afterAbort` (e.g. to wake a loop parked on something other than the
   * signal), and waits for the loop. Returns false when it was not running.
   */
  async stop(afterAbort?: () => void): Promise<boolean> {
    const running = this.running;
    if (running === undefined) return false;
    running.controller.abort();
    afterAbort?.();
    await running.done;
    this.running = undefined;
    return true;
  }
}
