export { connectNats, type NatsConnectOptions } from './connect';
export { ensureStream, ensureConsumer, differingKeys, type EnsureAction, type EnsureResult, type StreamSpec, type ConsumerSpec } from './ensure';
export {
  geoEventsStream,
  geoSyncJobsStream,
  geoVerifyJobsStream,
  pullConsumer,
  geoEventSubject,
  MIN_DUPLICATE_WINDOW_MS,
  GEO_EVENTS_STREAM,
  GEO_EVENTS_SUBJECT_PREFIX,
  GEO_SYNC_JOBS_STREAM,
  GEO_SYNC_JOBS_SUBJECT_PREFIX,
  GEO_VERIFY_JOBS_STREAM,
  GEO_VERIFY_JOBS_SUBJECT_PREFIX,
  type StreamPresetOptions,
  type EventsStreamOptions,
  type PullConsumerOptions,
} from './presets';
export { publish, NATS_TRACER_NAME, type PublishOptions, type PublishResult } from './publish';
export {
  consume,
  defaultRetryDelayMs,
  type ConsumeOptions,
  type InboundMessage,
  type MessageHandler,
  type MessageOutcome,
} from './consume';
export { extractTraceContext, injectTraceContext, natsHeadersGetter, natsHeadersSetter } from './trace-headers';
export { NatsLink, type NatsLinkOptions, type JetStreamSession } from './nats-link';
export { type SyncJob, syncJobSubject, syncJobMessageId, encodeSyncJob, decodeSyncJob, GEO_SYNC_NUDGE_SUBJECT } from './sync-jobs';
