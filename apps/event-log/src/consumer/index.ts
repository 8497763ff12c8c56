export { createEventConsumer, type SecondaryEventConsumerParts } from './create-event-consumer';
export {
  EventConsumer,
  eventConsumerName,
  DEFAULT_EVENT_CONSUMER_RETRY_DELAY,
  type EventConsumerOptions,
  type EventConsumerStatus,
} from './event-consumer';
export { EventApplier, MAX_EVENT_BATCH_SIZE, type EventApplierOptions, type BatchResult, type MessageDisposition } from './event-applier';
export { PgEventStore, type PgEventStoreOptions } from './pg-event-store';
export { natsNudge, type NatsNudgeOptions, type CorePublisher } from './nats-nudge';
export type { BlobRemover, EventStore, EventWrites, ReplicableCatalogue } from './ports';
