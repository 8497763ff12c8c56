import { ErrorCodes } from '@geo/domain';
import { parseGeoEventMessage, toOutgoingGeoEvent } from './geo-event-message';

const row = {
  id: 42,
  replicableName: 'packages_nuget_symbol',
  eventName: 'deleted',
  payload: { model_record_id: 7, blob_path: 'a/b/c.pdb', uploader_class: 'Packages::Nuget::SymbolUploader' },
  createdAt: new Date('2026-11-25T10:11:12.345Z'),
};

describe('toOutgoingGeoEvent', () => {
  it('addresses the event by type and name, dedupes by id, and carries the row as JSON', () => {
    const out = toOutgoingGeoEvent(row);
    expect(out.subject).toBe('geo.v1.events.packages_nuget_symbol.deleted');
    expect(out.msgId).toBe('42');
    expect(JSON.parse(out.data)).toEqual({
      id: 42,
      replicable_name: 'packages_nuget_symbol',
      event_name: 'deleted',
      payload: { model_record_id: 7, blob_path: 'a/b/c.pdb', uploader_class: 'Packages::Nuget::SymbolUploader' },
      created_at: '2026-11-25T10:11:12.345Z',
    });
    expect(out.message).toEqual(JSON.parse(out.data));
  });

  it('uses the subject prefix given', () => {
    expect(toOutgoingGeoEvent(row, 'test.events').subject).toBe('test.events.packages_nuget_symbol.deleted');
  });

  it.each([['packages.nuget'], ['a b'], ['*'], ['>'], ['']])('refuses replicable name %p that is not one subject token', (name) => {
    expect(() => toOutgoingGeoEvent({ ...row, replicableName: name })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }) as Error,
    );
  });
});

describe('parseGeoEventMessage', () => {
  it('round-trips what the relay sends, from bytes or text', () => {
    const out = toOutgoingGeoEvent(row);
    expect(parseGeoEventMessage(out.data)).toEqual(out.message);
    expect(parseGeoEventMessage(new TextEncoder().encode(out.data))).toEqual(out.message);
  });

  it('ignores keys it does not know', () => {
    const body = { ...toOutgoingGeoEvent(row).message, correlation_id: 'abc' };
    expect(parseGeoEventMessage(JSON.stringify(body))).toEqual(toOutgoingGeoEvent(row).message);
  });

  const valid = toOutgoingGeoEvent(row).message;
  it.each([
    ['not JSON', '{', 'not JSON'],
    ['an array', '[]', '(body)'],
    ['a missing id', JSON.stringify({ ...valid, id: undefined }), 'id'],
    ['a string id', JSON.stringify({ ...valid, id: '42' }), 'id'],
    ['a zero id', JSON.stringify({ ...valid, id: 0 }), 'id'],
    ['an empty replicable name', JSON.stringify({ ...valid, replicable_name: '' }), 'replicable_name'],
    ['a missing event name', JSON.stringify({ ...valid, event_name: undefined }), 'event_name'],
    ['a payload that is not an object', JSON.stringify({ ...valid, payload: [1] }), 'payload'],
    ['a created_at that is not a timestamp', JSON.stringify({ ...valid, created_at: 'yesterday' }), 'created_at'],
  ])('rejects %s, naming the problem', (_label, body, mentioned) => {
    expect(() => parseGeoEventMessage(body)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringContaining(mentioned) as string }) as Error,
    );
  });
});
