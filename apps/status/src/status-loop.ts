import { abortableSleep, errorFields, type LoggerPort, type NodeStatus } from '@geo/domain';
import { BackgroundTask, type Component } from '@geo/service-kit';

export interface StatusLoopOptions {
  readonly service: { refresh(): Promise<NodeStatus> };
  /**
   * What happens with each computed status: the primary stores its own, a secondary pushes it to
   * the primary. Failures are the callee's to record; a rejection is logged here.
   */
  readonly publish: (status: NodeStatus) => Promise<void>;
  /** `GEO_STATUS_INTERVAL_SECONDS` in ms (GitLab's MetricsUpdateWorker runs every minute). */
  readonly intervalMs: number;
  readonly logger: LoggerPort;
}

/**
 * GitLab's `Geo::MetricsUpdateWorker` as a component: compute the site's status at start and then
 * every interval, and publish it. The loop never dies of a failed round (a bug is logged at error
 * and the next round runs); `stop` waits for the round in progress.
 */
export class StatusLoop implements Component {
  readonly name = 'status-loop';
  private readonly task = new BackgroundTask('status loop', (signal) => this.run(signal));

  constructor(private readonly options: StatusLoopOptions) {}

  async start(): Promise<void> {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    let wasHealthy: boolean | undefined;
    while (!signal.aborted) {
      try {
        const status = await this.options.service.refresh();
        const { health } = status;
        if (health.healthy !== wasHealthy) {
          if (health.healthy) logger.info({ geoNodeId: status.geoNodeId }, 'status: site is healthy');
          else logger.warn({ geoNodeId: status.geoNodeId, issues: health.issues.map((i) => i.code) }, `status: site is unhealthy: ${health.health}`);
          wasHealthy = health.healthy;
        }
        await this.options.publish(status);
      } catch (error) {
        logger.error(errorFields(error), 'status: a status round failed');
      }
      await abortableSleep(this.options.intervalMs, signal);
    }
  }
}
