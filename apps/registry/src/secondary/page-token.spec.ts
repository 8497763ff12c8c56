import { decodePageToken, encodePageToken } from './page-token';

describe('ListRegistries page token', () => {
  it('round-trips a keyset position', () => {
    const cursor = { value: '2026-01-01 00:00:00.000001+00', id: 42 };
    const token = encodePageToken('verified_at_desc', cursor);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token, 'verified_at_desc')).toEqual(cursor);
    expect(decodePageToken(encodePageToken('id_asc', { value: null, id: 7 }), 'id_asc')).toEqual({ value: null, id: 7 });
  });

  it('is undefined for the first page', () => {
    expect(decodePageToken('', 'id_asc')).toBeUndefined();
  });

  it('rejects malformed tokens and tokens of another sort', () => {
    expect(() => decodePageToken('%%%', 'id_asc')).toThrow('invalid page_token');
    expect(() => decodePageToken(Buffer.from('{"s":"id_asc","v":null,"i":0}').toString('base64url'), 'id_asc')).toThrow('invalid page_token');
    expect(() => decodePageToken(Buffer.from('{"s":"nope","v":null,"i":3}').toString('base64url'), 'id_asc')).toThrow('invalid page_token');
    expect(() => decodePageToken(encodePageToken('id_desc', { value: null, id: 3 }), 'id_asc')).toThrow('issued for sort id_desc');
  });
});
