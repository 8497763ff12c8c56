import { randomBytes } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { currentTraceIds } from '@geo/otel';

/** Metadata keys a caller (the gateway) may use to pass its request's correlation id, in priority order. */
export const CORRELATION_ID_METADATA_KEYS = ['x-correlation-id', 'x-request-id'] as const;
const MAX_CORRELATION_ID_LENGTH = 128;
const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]+$/;

/**
 * GitLab puts the request's correlation id into event payloads, so an event can be traced back to
 * the request that caused it. Ours: the caller's id from metadata when present and sane, else the
 * active trace id (which also joins the trace in Jaeger), else a fresh random id.
 */
export function correlationIdOf(metadata: Metadata): string {
  for (const key of CORRELATION_ID_METADATA_KEYS) {
    const [value] = metadata.get(key);
    if (typeof value === 'string' && value.length <= MAX_CORRELATION_ID_LENGTH && SAFE_CORRELATION_ID.test(value)) return value;
  }
  return currentTraceIds()?.trace_id ?? randomBytes(16).toString('hex');
}
