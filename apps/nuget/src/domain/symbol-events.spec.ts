import { symbolCreatedEvents, symbolDeletedEvents } from './symbol-events';

describe('symbol events (GitLab payloads, spec geo-framework §4.3)', () => {
  it('created: one per symbol with model_record_id and correlation_id', () => {
    expect(symbolCreatedEvents([{ id: 7 }, { id: 9 }], 'req-1')).toEqual([
      { replicableName: 'packages_nuget_symbol', eventName: 'created', payload: { model_record_id: 7, correlation_id: 'req-1' } },
      { replicableName: 'packages_nuget_symbol', eventName: 'created', payload: { model_record_id: 9, correlation_id: 'req-1' } },
    ]);
  });

  it('deleted (bulk): model_record_id, blob_path = the full key, uploader_class, correlation_id', () => {
    expect(symbolDeletedEvents([{ id: 3, objectStorageKey: 'ab/cd/abcd/packages/nuget/1/symbols/ef/x.pdb' }], 'req-2')).toEqual([
      {
        replicableName: 'packages_nuget_symbol',
        eventName: 'deleted',
        payload: {
          model_record_id: 3,
          blob_path: 'ab/cd/abcd/packages/nuget/1/symbols/ef/x.pdb',
          uploader_class: 'Packages::Nuget::SymbolUploader',
          correlation_id: 'req-2',
        },
      },
    ]);
  });

  it('no symbols, no events', () => {
    expect(symbolCreatedEvents([], 'x')).toEqual([]);
    expect(symbolDeletedEvents([], 'x')).toEqual([]);
  });
});
