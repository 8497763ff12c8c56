import { isGeoError, type ReplicableDefinition } from '@geo/domain';
import { validateBlobKey } from '@geo/storage';
import { parseGeoEventMessage, type GeoEventMessage } from '../relay/geo-event-message';

/** Where an event sits in the primary's log; every message with a readable envelope has one. */
export interface EventPosition {
  readonly eventId: number;
  readonly eventCreatedAt: Date;
}

/** A `created` or `checksum_succeeded` event (payload `{ model_record_id, correlation_id }`). */
export interface RecordEvent extends EventPosition {
  readonly kind: 'created' | 'checksum_succeeded';
  readonly replicable: ReplicableDefinition;
  readonly modelRecordId: number;
}

/** A `deleted` event (payload `{ model_record_id, blob_path, uploader_class }`). */
export interface DeletedEvent extends EventPosition {
  readonly kind: 'deleted';
  readonly replicable: ReplicableDefinition;
  readonly modelRecordId: number;
  /**
   * The payload's `blob_path` when it is a safe key of this type's store, else undefined (absent,
   * hostile, or written by another uploader). Only a fallback: the stored record's key comes first.
   */
  readonly blobKey: string | undefined;
}

export type ApplicableEvent = RecordEvent | DeletedEvent;

/**
 * What one message turned out to be:
 * - `event`: to apply;
 * - `skip`: well formed but not for us (unknown replicable or event name): acknowledged, never applied;
 * - `reject`: unusable (not JSON, missing fields, a bad payload): terminated, never redelivered.
 * `position` is set whenever the envelope (id, created_at) was readable, so the cursor covers it.
 */
export type DecodedMessage =
  | { readonly type: 'event'; readonly event: ApplicableEvent; readonly position: EventPosition }
  | { readonly type: 'skip'; readonly reason: string; readonly position: EventPosition }
  | { readonly type: 'reject'; readonly reason: string; readonly position: EventPosition | undefined };

function modelRecordId(payload: Readonly<Record<string, unknown>>): number | undefined {
  const value = payload['model_record_id'];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * The payload's `blob_path` as a key of `replicable`'s store. GitLab joins it to the uploader's root
 * (`uploader_class`, or used as is when absent); ours is already the full key (ADR 0002), so it is
 * accepted only when the uploader is this type's own or absent, and only when it passes the store's
 * key rules (relative, no `..`, no reserved `tmp_` segment), so a hostile path never reaches the store.
 */
function payloadBlobKey(payload: Readonly<Record<string, unknown>>, replicable: ReplicableDefinition): { key?: string; problem?: string } {
  const path = payload['blob_path'];
  const uploader = payload['uploader_class'];
  if (path === undefined || path === null) return {};
  if (typeof path !== 'string') return { problem: 'blob_path is not a string' };
  if (uploader !== undefined && uploader !== null && uploader !== replicable.gitlab.uploaderClass) {
    return { problem: `uploader_class ${JSON.stringify(uploader)} is not ${replicable.gitlab.uploaderClass}` };
  }
  try {
    return { key: validateBlobKey(path) };
  } catch (error) {
    if (isGeoError(error)) return { problem: error.message };
    throw error;
  }
}

/**
 * Reads one `GEO_EVENTS` message body (wire format of ../relay/geo-event-message.ts) against the
 * replicable definitions of this site. Never throws for bad input: the consumer must not crash on a
 * message it cannot use. `blobKeyProblem` reports a `blob_path` that was refused (logged by the caller).
 */
export function decodeEvent(
  data: Uint8Array | string,
  replicables: readonly ReplicableDefinition[],
): DecodedMessage & { readonly blobKeyProblem?: string } {
  let message: GeoEventMessage;
  try {
    message = parseGeoEventMessage(data);
  } catch (error) {
    if (isGeoError(error)) return { type: 'reject', reason: error.message, position: undefined };
    throw error;
  }
  const position: EventPosition = { eventId: message.id, eventCreatedAt: new Date(message.created_at) };
  const replicable = replicables.find((r) => r.name === message.replicable_name);
  if (replicable === undefined) return { type: 'skip', reason: `unknown replicable ${JSON.stringify(message.replicable_name)}`, position };
  const kind = replicable.events.find((e) => e === message.event_name);
  if (kind === undefined) {
    return { type: 'skip', reason: `unsupported event ${JSON.stringify(message.event_name)} for ${replicable.name}`, position };
  }
  const id = modelRecordId(message.payload);
  if (id === undefined) return { type: 'reject', reason: 'payload.model_record_id is not a positive integer', position };
  if (kind !== 'deleted') return { type: 'event', event: { kind, replicable, modelRecordId: id, ...position }, position };
  const blob = payloadBlobKey(message.payload, replicable);
  return {
    type: 'event',
    event: { kind, replicable, modelRecordId: id, blobKey: blob.key, ...position },
    position,
    ...(blob.problem === undefined ? {} : { blobKeyProblem: blob.problem }),
  };
}
