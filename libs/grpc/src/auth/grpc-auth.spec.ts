import { Metadata } from '@grpc/grpc-js';
import { ErrorCodes } from '@geo/domain';
import { createGeoCallAuthenticator, geoAuthMetadata, type GeoCallRefusal } from './grpc-auth';

const SITE = { secret: 'secret-of-the-secondary-0123456789', enabled: true };

function call(request: { id: number }, secret = SITE.secret): { request: { id: number }; metadata: Metadata } {
  return { request, metadata: geoAuthMetadata({ accessKey: 'key-1', secret, data: { replicable_id: request.id } }) };
}

describe('createGeoCallAuthenticator', () => {
  it('reuses site lookups within siteCacheTtlMs, one per call without it', async () => {
    for (const [ttl, expected] of [[60_000, 1], [undefined, 3]] as const) {
      let lookups = 0;
      const authenticate = createGeoCallAuthenticator<{ id: number }, typeof SITE>({
        lookupSite: async () => ((lookups += 1), SITE),
        expected: (request) => ({ replicable_id: request.id }),
        ...(ttl === undefined ? {} : { siteCacheTtlMs: ttl }),
      });
      for (const id of [1, 2, 3]) await expect(authenticate(call({ id }))).resolves.toBe(SITE);
      expect(lookups).toBe(expected);
    }
  });

  it('tells onRefused about each refusal with the access key and reason, and still refuses', async () => {
    const refusals: Array<GeoCallRefusal<{ id: number }>> = [];
    const authenticate = createGeoCallAuthenticator<{ id: number }, typeof SITE>({
      lookupSite: async () => SITE,
      expected: (request) => ({ replicable_id: request.id }),
      onRefused: (refusal) => refusals.push(refusal),
    });
    await expect(authenticate(call({ id: 1 }, 'another-secret-0123456789-abcdefgh'))).rejects.toMatchObject({ code: ErrorCodes.UNAUTHENTICATED });
    await expect(authenticate({ request: { id: 2 }, metadata: new Metadata() })).rejects.toMatchObject({ code: ErrorCodes.UNAUTHENTICATED });
    await expect(authenticate(call({ id: 3 }))).resolves.toBe(SITE);
    expect(refusals.map((r) => [r.request.id, r.accessKey])).toEqual([
      [1, 'key-1'],
      [2, undefined],
    ]);
    expect(refusals[0]?.reason).toMatch(/invalid signature/);
    expect(JSON.stringify(refusals)).not.toContain(SITE.secret);
  });
});
