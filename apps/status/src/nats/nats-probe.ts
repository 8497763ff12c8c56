import { errorMessage, type Reachability } from '@geo/domain';
import type { JetStreamSession } from '@geo/nats';
import type { NatsProbe } from '../compute/ports';

/**
 * Probes the site's NATS JetStream (the `nats_unreachable` rule): the link must be connected and the
 * JetStream API must answer an account-info request (the manager's request timeout bounds it).
 */
export class JetStreamProbe implements NatsProbe {
  constructor(
    private readonly link: { session(): JetStreamSession | undefined },
    /** Shown in the reason (`NATS_URL`). */
    private readonly url: string,
  ) {}

  async probe(): Promise<Reachability> {
    const session = this.link.session();
    if (session === undefined) return { reachable: false, reason: `not connected to ${this.url}` };
    try {
      await session.jsm.getAccountInfo();
      return { reachable: true };
    } catch (error) {
      return { reachable: false, reason: `JetStream at ${this.url} does not answer: ${errorMessage(error)}` };
    }
  }
}
