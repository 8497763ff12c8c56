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
const IMMUTABLE_STREAM_KEYS: readonly string[] = ['storage', 'retention'];
const IMMUTABLE_CONSUMER_KEYS: readonly string[] = ['ack_policy', 'replay_policy'];
/**
 * Where a consumer starts reading: it matters when the durable is created only. An existing durable
 * keeps its position, so a different value there is not a change to make (nor an error).
 */
const CONSUMER_CREATION_ONLY_KEYS: readonly string[] = ['deliver_policy', 'opt_start_seq', 'opt_start_time'];

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

/** How `ensure` reads, creates and updates one kind of JetStream resource. */
interface ResourceOps<C extends object, I extends { readonly config: C }> {
  /** For messages, e.g. `stream GEO_EVENTS` or `consumer GEO_EVENTS/geo-eu`. */
  readonly label: string;
  readonly notFoundCode: number;
  readonly immutableKeys: readonly string[];
  /** Settings that apply when the resource is created and are ignored afterwards. */
  readonly creationOnlyKeys?: readonly string[];
  /** What an operator must do when an immutable setting differs. */
  readonly immutableRemedy: string;
  readonly details: Readonly<Record<string, unknown>>;
  info(): Promise<I>;
  add(): Promise<I>;
  update(config: C): Promise<I>;
}

/**
 * Create, update or leave alone: the resource is created when missing, updated when a setting in
 * `spec` differs, and left as it is otherwise. A create racing another replica falls through to the
 * comparison. An immutable setting that differs is a `ConfigError`.
 */
async function ensure<C extends object, I extends { readonly config: C }>(spec: Partial<C>, ops: ResourceOps<C, I>): Promise<EnsureResult<I>> {
  let current: I;
  try {
    current = await ops.info();
  } catch (error) {
    if (!isApiError(error, ops.notFoundCode)) throw wrap(ops.label, error);
    try {
      return { action: 'created', info: await ops.add() };
    } catch (addError) {
      // Another replica created it between our info and add: fall through to compare.
      try {
        current = await ops.info();
      } catch {
        throw wrap(`create ${ops.label}`, addError);
      }
    }
  }
  const differing = differingKeys(spec, current.config).filter((key) => !(ops.creationOnlyKeys ?? []).includes(key));
  if (differing.length === 0) return { action: 'unchanged', info: current };
  const immutable = differing.filter((key) => ops.immutableKeys.includes(key));
  if (immutable.length > 0) {
    throw new ConfigError(`${ops.label}: ${immutable.join(', ')} cannot change in place; ${ops.immutableRemedy}`, {
      details: { ...ops.details, keys: immutable },
    });
  }
  try {
    return { action: 'updated', info: await ops.update({ ...current.config, ...spec }) };
  } catch (error) {
    throw wrap(`update ${ops.label} (${differing.join(', ')})`, error);
  }
}

/**
 * Creates the stream, or updates it when any setting in `spec` differs, or does nothing.
 * Safe to call at every start-up from any number of replicas. Throws `ConfigError` when an
 * immutable setting (storage, retention) differs: that needs a deliberate migration.
 */
export function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<EnsureResult<StreamInfo>> {
  return ensure<StreamConfig, StreamInfo>(spec, {
    label: `stream ${spec.name}`,
    notFoundCode: JetStreamApiCodes.StreamNotFound,
    immutableKeys: IMMUTABLE_STREAM_KEYS,
    immutableRemedy: 'migrate the stream deliberately',
    details: { stream: spec.name },
    info: () => jsm.streams.info(spec.name),
    add: () => jsm.streams.add(spec),
    update: (config) => jsm.streams.update(spec.name, config),
  });
}

/**
 * Creates the durable consumer, or updates it when any setting in `spec` differs, or does
 * nothing. Safe at every start-up. The start position (deliver policy, start sequence or time)
 * applies when the durable is created; an existing durable keeps its position. Throws `ConfigError`
 * when a setting the server cannot update (ack or replay policy) differs.
 */
export function ensureConsumer(jsm: JetStreamManager, stream: string, spec: ConsumerSpec): Promise<EnsureResult<ConsumerInfo>> {
  const durable = spec.durable_name;
  return ensure<ConsumerConfig, ConsumerInfo>(spec, {
    label: `consumer ${stream}/${durable}`,
    notFoundCode: JetStreamApiCodes.ConsumerNotFound,
    immutableKeys: IMMUTABLE_CONSUMER_KEYS,
    creationOnlyKeys: CONSUMER_CREATION_ONLY_KEYS,
    immutableRemedy: 'recreate it deliberately',
    details: { stream, durable },
    info: () => jsm.consumers.info(stream, durable),
    add: () => jsm.consumers.add(stream, spec),
    update: (config) => jsm.consumers.update(stream, durable, config),
  });
}
