import {
  status as GrpcStatus,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { silentLogger, type LoggerPort } from '@geo/domain';
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
