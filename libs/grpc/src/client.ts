import {
  credentials as grpcCredentials,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ClientOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { ValidationError } from '@geo/domain';
import { fromGrpcError } from './status-mapping';

/**
 * Promise/async-iterable helpers over grpc-js client calls. Every failure a caller sees is a
 * `GeoError` (through `fromGrpcError`), so code calling a sibling app switches on `code` exactly as
 * if the call were local. Methods are passed bound (`client.getProject.bind(client)`) so the generic
 * types come from the generated client's full overload (request, metadata, options, callback).
 */

/** Per-call settings shared by the helpers. */
export interface CallSettings {
  /** Relative deadline in milliseconds; no deadline when undefined (long uploads and downloads). */
  readonly deadlineMs?: number;
  readonly metadata?: Metadata;
  /** Aborting cancels the call (the server sees CANCELLED); the helper then rejects. */
  readonly signal?: AbortSignal;
}

/** A bound unary method of a generated client, in its (request, metadata, options, callback) form. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** A bound server-streaming method of a generated client. */
export type ServerStreamMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>) => ClientReadableStream<Res>;

/** A bound client-streaming method of a generated client. */
export type ClientStreamMethod<Req, Res> = (
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientWritableStream<Req>;

function callOptions(settings: CallSettings): Partial<CallOptions> {
  return settings.deadlineMs === undefined ? {} : { deadline: Date.now() + settings.deadlineMs };
}

/** Cancels `call` when `signal` aborts (at once if it already has); returns the unsubscribe function. */
function cancelOnAbort(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (signal === undefined) return () => undefined;
  const onAbort = (): void => call.cancel();
  if (signal.aborted) {
    // Deferred so the caller has attached its listeners before the CANCELLED status arrives.
    queueMicrotask(onAbort);
    return () => undefined;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** One unary call as a promise; rejects with the `GeoError` the server raised (or a transport error). */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, settings: CallSettings = {}): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    let unsubscribe = (): void => undefined;
    const call = method(request, settings.metadata ?? new Metadata(), callOptions(settings), (error, response) => {
      unsubscribe();
      if (error) reject(fromGrpcError(error));
      else resolve(response);
    });
    unsubscribe = cancelOnAbort(settings.signal, call);
  });
}

/**
 * A server-streaming call as an async iterable of its messages. Back-pressure is grpc-js's: messages
 * are requested from the server only as the consumer reads. Leaving the loop early (break, throw,
 * or the signal) cancels the call, so the server stops producing. A failure, before or after some
 * messages, is thrown as a `GeoError`.
 */
export async function* serverStream<Req, Res>(
  method: ServerStreamMethod<Req, Res>,
  request: Req,
  settings: CallSettings = {},
): AsyncGenerator<Res, void, undefined> {
  const call = method(request, settings.metadata ?? new Metadata(), callOptions(settings));
  // After an early cancel grpc-js still emits the CANCELLED status as 'error'; with the iterator's
  // listeners gone that would be an uncaught exception. The iterator below still sees every error.
  call.on('error', () => undefined);
  const unsubscribe = cancelOnAbort(settings.signal, call);
  let settled = false;
  try {
    for await (const message of call as AsyncIterable<Res>) yield message;
    settled = true;
  } catch (error: unknown) {
    settled = true;
    throw fromGrpcError(error);
  } finally {
    unsubscribe();
    if (!settled) call.cancel();
  }
}

const ANSWERED: unique symbol = Symbol('answered');

/**
 * A client-streaming call: writes every message of `messages` with back-pressure (the source is
 * pulled only when the call can take more), half-closes, and resolves with the response.
 * - The server may answer before the client finished (typically an error such as a size limit or a
 *   bad key): the source stops being read at once (its `return()` runs) and the answer is returned.
 * - The source throwing cancels the call (the server never sees a complete stream) and rethrows the
 *   source's error unchanged: it, not the resulting CANCELLED, is the cause.
 * - The signal cancels the call; the promise rejects with the mapped CANCELLED error.
 */
export async function clientStream<Req, Res>(
  method: ClientStreamMethod<Req, Res>,
  messages: AsyncIterable<Req> | Iterable<Req>,
  settings: CallSettings = {},
): Promise<Res> {
  let answered = false;
  let settle: (error: ServiceError | null, value: Res) => void = () => undefined;
  const response = new Promise<Res>((resolve, reject) => {
    settle = (error, value) => {
      answered = true;
      if (error) reject(fromGrpcError(error));
      else resolve(value);
    };
  });
  const stream = method(settings.metadata ?? new Metadata(), callOptions(settings), (error, value) => settle(error, value));
  // Writes after the server answered fail inside the stream; the answer is what the caller needs.
  stream.on('error', () => undefined);
  // Settles (never rejects) once the server answered: the race below must not throw on its own.
  const answer: Promise<typeof ANSWERED> = response.then(
    () => ANSWERED,
    () => ANSWERED,
  );
  const unsubscribe = cancelOnAbort(settings.signal, stream);
  const iterator = toAsyncIterator(messages);
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), answer]);
      if (step === ANSWERED) {
        // The pending next() finishes in the background; return() then closes the source.
        void iterator.return?.().catch(() => undefined);
        break;
      }
      if (step.done === true) {
        if (!answered) stream.end();
        break;
      }
      if (!stream.write(step.value)) await Promise.race([drained(stream), answer]);
    }
  } catch (sourceError: unknown) {
    stream.cancel();
    await answer;
    throw sourceError;
  } finally {
    unsubscribe();
  }
  return response;
}

function toAsyncIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return {
    next: async () => sync.next(),
    return: async () => sync.return?.() ?? { done: true, value: undefined },
  };
}

function drained<T>(stream: ClientWritableStream<T>): Promise<void> {
  return new Promise((resolve) => stream.once('drain', resolve));
}

/**
 * Channel options for calls between a site's apps: keepalive pings while calls are open (a dead peer
 * is noticed within ~40 s instead of at the TCP timeout; no pings on idle channels, which servers may
 * punish with GOAWAY), and message limits above grpc-js's 4 MiB receive default so 1 MiB chunks and
 * large listings always fit.
 */
export const DEFAULT_CHANNEL_OPTIONS: Readonly<Partial<ClientOptions>> = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.max_send_message_length': 16 * 1024 * 1024,
};

/** A generated client class (`new XxxServiceClient(address, credentials, options)`). */
export type GrpcClientConstructor<C> = new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>) => C;

export interface ChannelClientOptions {
  /** Overrides the credentials implied by the target (insecure, or TLS for `https://`). */
  readonly credentials?: ChannelCredentials;
  /** Merged over {@link DEFAULT_CHANNEL_OPTIONS}. */
  readonly channelOptions?: Partial<ClientOptions>;
}

/**
 * The grpc-js address and default credentials for a target written as `host:port` (insecure, the
 * form of `GEO_<APP>_GRPC_TARGET`), `http://host:port` (insecure) or `https://host:port` (TLS).
 */
export function parseGrpcTarget(target: string): { address: string; tls: boolean } {
  const match = /^(https?):\/\/([^/]+)\/?$/.exec(target.trim());
  if (match !== null) return { address: match[2]!, tls: match[1] === 'https' };
  if (target.includes('://') || target.trim() === '') throw new ValidationError(`unsupported gRPC target ${JSON.stringify(target)}`);
  return { address: target.trim(), tls: false };
}

/** A generated client on its own channel to `target`, with {@link DEFAULT_CHANNEL_OPTIONS}. Close it with `client.close()`. */
export function createChannelClient<C>(Ctor: GrpcClientConstructor<C>, target: string, options: ChannelClientOptions = {}): C {
  const { address, tls } = parseGrpcTarget(target);
  const creds = options.credentials ?? (tls ? grpcCredentials.createSsl() : grpcCredentials.createInsecure());
  return new Ctor(address, creds, { ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions });
}
