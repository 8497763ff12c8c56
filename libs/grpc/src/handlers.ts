import {
  status as GrpcStatus,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { silentLogger, UnavailableError, type LoggerPort } from '@geo/domain';
import { GEO_ERROR_CODE_METADATA_KEY, toGrpcStatus, type GrpcErrorStatus } from './status-mapping';

/** Options shared by the handler wrappers. */
export interface HandlerOptions {
  /** Receives one line per failed call: warn for expected `GeoError`s, error (with the cause) for bugs. */
  readonly logger?: LoggerPort;
}

/** An async unary handler: return the response or throw; the wrapper turns throws into a status. */
export type UnaryHandler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/**
 * A server-streaming handler: yield the responses (an async generator is the natural shape) or throw.
 * Iteration stops early when the client cancels.
 */
export type ServerStreamHandler<Req, Res> = (request: Req, call: ServerWritableStream<Req, Res>) => AsyncIterable<Res>;

/**
 * A client-streaming handler: consume the request messages (stop early by throwing) and return the
 * one response. The iterable throws `UnavailableError` if the client cancels mid-stream.
 */
export type ClientStreamHandler<Req, Res> = (messages: AsyncIterable<Req>, call: ServerReadableStream<Req, Res>) => Promise<Res>;

function logFailure(logger: LoggerPort, path: string, err: unknown, status: GrpcErrorStatus): void {
  const fields = { grpcPath: path, grpcCode: GrpcStatus[status.code], geoErrorCode: status.metadata.get(GEO_ERROR_CODE_METADATA_KEY)[0] };
  if (status.code === GrpcStatus.INTERNAL) logger.error({ ...fields, err }, 'gRPC call failed');
  else logger.warn({ ...fields, reason: status.details }, 'gRPC call rejected');
}

/** Adapts an async unary handler to grpc-js; every thrown value goes through `toGrpcStatus`. */
export function wrapUnary<Req, Res>(handler: UnaryHandler<Req, Res>, options: HandlerOptions = {}): handleUnaryCall<Req, Res> {
  const logger = options.logger ?? silentLogger;
  return (call, callback) => {
    handler(call.request, call).then(
      (response) => callback(null, response),
      (err: unknown) => {
        const status = toGrpcStatus(err);
        logFailure(logger, call.getPath(), err, status);
        callback(status);
      },
    );
  };
}

/** Resolves when the stream can take more data, or when the client went away. */
function drainedOrCancelled(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
  });
}

/**
 * Adapts an async-iterable handler to grpc-js: writes every item with back-pressure, ends the stream,
 * and sends `toGrpcStatus(err)` if the handler throws (after any items already written).
 */
export function wrapServerStream<Req, Res>(
  handler: ServerStreamHandler<Req, Res>,
  options: HandlerOptions = {},
): handleServerStreamingCall<Req, Res> {
  const logger = options.logger ?? silentLogger;
  return (call) => {
    const run = async (): Promise<void> => {
      for await (const item of handler(call.request, call)) {
        // Leaving the loop calls the iterator's return(), so the handler's finally blocks run.
        if (call.cancelled) return;
        if (!call.write(item)) await drainedOrCancelled(call);
        if (call.cancelled) return;
      }
      call.end();
    };
    run().catch((err: unknown) => {
      const status = toGrpcStatus(err);
      logFailure(logger, call.getPath(), err, status);
      if (!call.cancelled) call.emit('error', status);
    });
  };
}

/** Message of the error the request iterable throws when the client cancels the call. */
export const CLIENT_CANCELLED_MESSAGE = 'the client cancelled the call';

/**
 * The request messages of a client-streaming call, ending when the client half-closed.
 *
 * A cancelled call should not look complete, or a handler would act on a truncated upload. grpc-js
 * does not guarantee that by itself: a Node http2 client cancels by ending its side (END_STREAM)
 * and then resetting the stream (RST_STREAM), so the server first sees a regular half-close and
 * only a few ticks later learns that the call was cancelled. Hence the end of the messages is
 * confirmed after one `setImmediate`: when both frames arrive together (the normal case, they are
 * sent back to back) the reset has been processed by then. A reset that arrives in a later network
 * read is not seen here, so handlers must still check that what they received is complete (a
 * truncated zip has no central directory). A cancellation, seen at the end or mid-stream (a bare
 * "Premature close" from the iterator), becomes an `UnavailableError`.
 * Reading is pull-based: grpc-js asks the client for more only as the handler iterates, so a slow
 * handler applies back-pressure all the way to the sender.
 */
async function* requestMessages<Req>(call: ServerReadableStream<Req, unknown>): AsyncGenerator<Req> {
  try {
    for await (const message of call as AsyncIterable<Req>) {
      if (call.cancelled) break;
      yield message;
    }
  } catch (err: unknown) {
    if (call.cancelled) throw new UnavailableError(CLIENT_CANCELLED_MESSAGE, { cause: err });
    throw err;
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (call.cancelled) throw new UnavailableError(CLIENT_CANCELLED_MESSAGE);
}

/**
 * Adapts an async client-streaming handler to grpc-js: the handler reads the messages as an async
 * iterable and returns the response; a throw (including one raised before the client finished
 * sending, e.g. a size limit) is sent as `toGrpcStatus(err)` right away. Nothing is sent to a client
 * that cancelled, but the failure is still logged.
 */
export function wrapClientStream<Req, Res>(
  handler: ClientStreamHandler<Req, Res>,
  options: HandlerOptions = {},
): handleClientStreamingCall<Req, Res> {
  const logger = options.logger ?? silentLogger;
  return (call, callback) => {
    handler(requestMessages(call), call).then(
      (response) => {
        if (!call.cancelled) callback(null, response);
      },
      (err: unknown) => {
        const status = toGrpcStatus(err);
        logFailure(logger, call.getPath(), err, status);
        if (!call.cancelled) callback(status);
      },
    );
  };
}
