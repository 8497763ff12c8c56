/** The part of a grpc-js server call that reports cancellation. */
interface CancellableCall {
  readonly cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
}

/** An AbortSignal that aborts when the gRPC client cancels the call (or already has). */
export function cancellationSignal(call: CancellableCall): AbortSignal {
  const controller = new AbortController();
  if (call.cancelled) controller.abort();
  else call.once('cancelled', () => controller.abort());
  return controller.signal;
}
