import { EventLogServiceService, type EventLogServiceServer, type GetCursorResponse, type GetLastEventResponse } from '@geo/proto';
import type { LoggerPort } from '@geo/domain';
import { wrapUnary, type GrpcServiceRegistration } from '@geo/grpc';
import type { GeoEventRecord } from '@geo/pg';

/** Where the primary's newest event comes from; `EventOutboxRepository` satisfies it. */
export interface LastEventSource {
  lastEvent(): Promise<Pick<GeoEventRecord, 'id' | 'createdAt'> | undefined>;
}

/**
 * `geo.v1.EventLogService` on the primary.
 *
 * - `GetLastEvent`: the newest `geo_events` row (relayed or not): GitLab's `last_event_id` /
 *   `last_event_date`. Both fields absent when the outbox is empty.
 * - `GetCursor`: a primary has no log cursor (GitLab reports `cursor_last_event_id` as null on the
 *   primary), so it answers "none": both fields absent, the same as a secondary that has not applied
 *   any event yet. Not an error, so the status service can ask every site the same question.
 */
export function primaryEventLogService(source: LastEventSource, logger: LoggerPort): GrpcServiceRegistration {
  const implementation: EventLogServiceServer = {
    getLastEvent: wrapUnary(async (): Promise<GetLastEventResponse> => {
      const last = await source.lastEvent();
      return last === undefined ? {} : { eventId: last.id, createdAt: last.createdAt };
    }, { logger }),
    getCursor: wrapUnary(async (): Promise<GetCursorResponse> => ({}), { logger }),
  };
  return { definition: EventLogServiceService, implementation };
}
