import type { NewGeoEvent } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import type { SymbolRecord } from './model';

/**
 * The Geo events of symbol changes, with GitLab's payloads (spec geo-framework §4.3). Whether they
 * are actually written (a secondary exists, the replication flag is on) is the event writer's call.
 */

/** One `created` event per stored symbol: `{ model_record_id, correlation_id }`. */
export function symbolCreatedEvents(symbols: readonly Pick<SymbolRecord, 'id'>[], correlationId: string): NewGeoEvent[] {
  return symbols.map((symbol) => ({
    replicableName: packagesNugetSymbol.name,
    eventName: 'created',
    payload: { model_record_id: symbol.id, correlation_id: correlationId },
  }));
}

/**
 * One `deleted` event per symbol of a batch destroy (GitLab `bulk_create_delete_events_async`):
 * `{ model_record_id, blob_path, uploader_class, correlation_id }`. `blob_path` is the blob's full
 * key in our store (ADR 0002), so a secondary deletes exactly that key.
 */
export function symbolDeletedEvents(
  symbols: readonly Pick<SymbolRecord, 'id' | 'objectStorageKey'>[],
  correlationId: string,
): NewGeoEvent[] {
  return symbols.map((symbol) => ({
    replicableName: packagesNugetSymbol.name,
    eventName: 'deleted',
    payload: {
      model_record_id: symbol.id,
      blob_path: symbol.objectStorageKey,
      uploader_class: packagesNugetSymbol.gitlab.uploaderClass,
      correlation_id: correlationId,
    },
  }));
}
