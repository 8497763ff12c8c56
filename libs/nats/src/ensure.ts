import {
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { ConfigError, UnavailableError } from '@geo/domain';

/** What `ensureStream`/`ensureConsumer` did. */
export type EnsureAction = 'created' | 'updated' | 'unchanged';

export interface EnsureResult<T> {
  readonly action: EnsureAction;
  readonly info: T;
}

/** Stream settings owned by code: the keys given are enforced, the rest keep server defaults. */
export type StreamSpec = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'subjects'>;

/** Consumer settings owned by code; always durable. */
export type ConsumerSpec = Partial<ConsumerConfig> & Pick<ConsumerConfig, 'ack_policy'> & { readonly durable_name: string };

/** Settings nats-server refuses to change in place (2.9); a difference needs an operator. */
const IMMUTABLE_STREAM_KEYS = ['storage', 'retention'] as const;
const IMMUTABLE_CONSUMER_KEYS = ['deliver_policy', 'ack_policy', 'opt_start_seq', 'opt_start_time', 'replay_policy'] as const;

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** Keys of `desired` whose value differs from `current` (values compared structurally). */
export function differingKeys(desired: object, current: object): string[] {
  const cur = current as Record<string, unknown>;
  return Object.entries(desired)
    .filter(([key, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify(cur[key]))
    .map(([key]) => key);
}

function wrap(what: string, error: unknown): Error {
  if (error instanceof JetStreamApiError) return new ConfigError(`${what}: ${error.message}`, { cause: error });
  return new UnavailableError(`${what}: ${String((error as { message?: unknown } | null)?.message ?? error)}`, { cause: error });
}

/**
 * Creates the stream, or updates it when any setting in `spec` differs, or does nothing.
 * Safe to call at every start-up from any number of replicas. Throws `ConfigError` when an
 * immutable setting (storage, retention) differs: that needs a deliberate migration.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<EnsureResult<StreamInfo>> {
  let current: StreamInfo;
  try {
    current = await jsm.streams.info(spec.name);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw wrap(`stream ${spec.name}`, error);
    try {
      return { action: 'created', info: await jsm.streams.add(spec) };
    } catch (addError) {
      // Another replica created it between our info and add: fall through to compare.
      try {
        current = await jsm.streams.info(spec.name);
      } catch {
        throw wrap(`create stream ${spec.name}`, addError);
      }
    }
  }
  const differing = differingKeys(spec, current.config);
  if (differing.length === 0) return { action: 'unchanged', info: current };
  const immutable = differing.filter((key) => (IMMUTABLE_STREAM_KEYS as readonly string[]).includes(key));
  if (immutable.length > 0) {
    throw new ConfigError(`stream ${spec.name}: ${immutable.join(', ')} cannot change in place; migrate the stream deliberately`, {
      details: { stream: spec.name, keys: immutable },
    });
  }
  try {
    return { action: 'updated', info: await jsm.streams.update(spec.name, { ...current.config, ...spec }) };
  } catch (error) {
    throw wrap(`update stream ${spec.name} (${differing.join(', ')})`, error);
  }
}

/**
 * Creates the durable consumer, or updates it when any setting in `spec` differs, or does
 * nothing. Safe at every start-up. Throws `ConfigError` when a setting the server cannot update
 * (deliver/ack/replay policy, start position) differs.
 */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: ConsumerSpec): Promise<EnsureResult<ConsumerInfo>> {
  const durable = spec.durable_name;
  let current: ConsumerInfo;
  try {
    current = await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw wrap(`consumer ${stream}/${durable}`, error);
    try {
      return { action: 'created', info: await jsm.consumers.add(stream, spec) };
    } catch (addError) {
      try {
        current = await jsm.consumers.info(stream, durable);
      } catch {
        throw wrap(`create consumer ${stream}/${durable}`, addError);
      }
    }
  }
  const differing = differingKeys(spec, current.config);
  if (differing.length === 0) return { action: 'unchanged', info: current };
  const immutable = differing.filter((key) => (IMMUTABLE_CONSUMER_KEYS as readonly string[]).includes(key));
  if (immutable.length > 0) {
    throw new ConfigError(`consumer ${stream}/${durable}: ${immutable.join(', ')} cannot change in place; recreate it deliberately`, {
      details: { stream, durable, keys: immutable },
    });
  }
  try {
    return { action: 'updated', info: await jsm.consumers.update(stream, durable, { ...current.config, ...spec }) };
  } catch (error) {
    throw wrap(`update consumer ${stream}/${durable} (${differing.join(', ')})`, error);
  }
}
