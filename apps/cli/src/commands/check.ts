import { ValidationError } from '@geo/domain';
import { GEO_JWT_LEEWAY_SECONDS } from '@geo/grpc';
import { rejectUnknownFlags, type ParsedArgs } from '../argv';
import { ExitCodes, type Command } from '../command';
import { allPassed, checkLines, geoChecks, type CheckLimits } from './check-verdicts';
import { probeGateway } from './gateway-probe';
import { ADMIN_TOKEN_ENV, CONNECTION_FLAGS, gatewayConnection, GATEWAY_URL_ENV } from './sites-flags';
import { jsonLines } from './sites-output';

export interface CheckCommandDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch;
  /** Epoch ms (the clock check compares it with the gateway's `Date`). */
  readonly clock?: () => number;
}

/**
 * The defaults follow the status app's own limits (`GEO_STATUS_MAX_AGE_SECONDS`,
 * `GEO_STATUS_MAX_EVENT_LAG_SECONDS`) and, for clocks, the leeway Geo's site-to-site JWTs allow
 * (GitLab's `IAT_LEEWAY`): beyond it, calls between sites are refused.
 */
export const DEFAULT_CHECK_LIMITS: CheckLimits = { maxStatusAgeSeconds: 300, maxEventLagSeconds: 300, maxClockSkewSeconds: GEO_JWT_LEEWAY_SECONDS };

const LIMIT_FLAGS = { 'max-status-age': 'maxStatusAgeSeconds', 'max-event-lag': 'maxEventLagSeconds', 'max-clock-skew': 'maxClockSkewSeconds' } as const;

/** The limit flags given, as positive whole seconds, over the defaults. */
export function checkLimits(args: ParsedArgs): CheckLimits {
  const limits: Record<keyof CheckLimits, number> = { ...DEFAULT_CHECK_LIMITS };
  for (const [flag, key] of Object.entries(LIMIT_FLAGS) as Array<[keyof typeof LIMIT_FLAGS, keyof CheckLimits]>) {
    const raw = args.flags.get(flag);
    if (raw === undefined) continue;
    if (raw === true || !/^\d+$/.test(raw) || Number(raw) === 0 || !Number.isSafeInteger(Number(raw))) {
      throw new ValidationError(`--${flag} must be a positive whole number of seconds, got ${JSON.stringify(raw === true ? '' : raw)}`);
    }
    limits[key] = Number(raw);
  }
  return limits;
}

/**
 * `geo check`: GitLab's `gitlab-rake gitlab:geo:check` for one site, through its gateway: one
 * `<check> ... yes|no (why)` line per check, exit 1 when any says no. Run against the primary's
 * gateway it also checks that every secondary's status reaches the primary; against a secondary's,
 * that it consumes the event log.
 */
export function createCheckCommand(deps: CheckCommandDeps): Command {
  return {
    words: ['check'],
    summary: 'check a Geo site\'s configuration and connectivity (one pass/fail line per check)',
    usage:
      'geo check [--json] [--max-status-age SECONDS] [--max-event-lag SECONDS] [--max-clock-skew SECONDS]\n' +
      `    [--url GATEWAY_URL] [--token ADMIN_TOKEN] (defaults: $${GATEWAY_URL_ENV}, $${ADMIN_TOKEN_ENV}; limits 300, 300, ${GEO_JWT_LEEWAY_SECONDS})`,
    async run(args, io) {
      rejectUnknownFlags(args, [...CONNECTION_FLAGS, 'json', ...Object.keys(LIMIT_FLAGS)]);
      const limits = checkLimits(args);
      const facts = await probeGateway(gatewayConnection(args, deps.env), { fetch: deps.fetch, clock: deps.clock });
      const results = geoChecks(facts, limits);
      const ok = allPassed(results);
      for (const line of args.flags.has('json') ? jsonLines({ ok, checks: results }) : checkLines(results)) io.out(line);
      return ok ? ExitCodes.OK : ExitCodes.FAILURE;
    },
  };
}

/** The command as the `geo` binary registers it: configured from the process environment. */
export const CHECK_COMMAND: Command = createCheckCommand({ env: process.env });
