import type { NodeStatus } from '@geo/domain';

/** How old this site's last status may be for `GetStatus` to answer with it instead of computing anew. */
export const ON_DEMAND_REUSE_MS = 10_000;

export interface StatusServiceOptions {
  readonly computer: { compute(): Promise<NodeStatus> };
  /** Default `ON_DEMAND_REUSE_MS`. */
  readonly reuseMs?: number;
  readonly clock?: () => Date;
}

/**
 * This site's status: the periodic loop calls `refresh`, `GetStatus` calls `current`, which answers
 * with the last status when it is younger than `reuseMs` (10 s) and computes a fresh one otherwise.
 * Concurrent callers share one computation in flight, so a burst of requests costs one set of reads.
 */
export class SiteStatusService {
  private last: NodeStatus | undefined;
  private inFlight: Promise<NodeStatus> | undefined;
  private readonly reuseMs: number;
  private readonly clock: () => Date;

  constructor(private readonly options: StatusServiceOptions) {
    this.reuseMs = options.reuseMs ?? ON_DEMAND_REUSE_MS;
    this.clock = options.clock ?? (() => new Date());
  }

  /** The last computed status, if any. */
  latest(): NodeStatus | undefined {
    return this.last;
  }

  /** The last status when younger than the reuse bound, else a fresh one. */
  async current(): Promise<NodeStatus> {
    const last = this.last;
    if (last !== undefined && this.clock().getTime() - last.updatedAt.getTime() < this.reuseMs) return last;
    return this.refresh();
  }

  /** Computes a fresh status (joining a computation already in flight). */
  refresh(): Promise<NodeStatus> {
    if (this.inFlight !== undefined) return this.inFlight;
    const run = this.options.computer.compute().then((status) => {
      this.last = status;
      return status;
    });
    this.inFlight = run;
    const clear = (): void => {
      if (this.inFlight === run) this.inFlight = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
