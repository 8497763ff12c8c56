import jwt from 'jsonwebtoken';
import { ErrorCodes, UnauthenticatedError } from '@geo/domain';
import { GEO_JWT_LEEWAY_MESSAGE, parseGeoAuthorization, signGeoJwt, verifyGeoAuthorization, type GeoSiteCredentials } from './geo-jwt';

interface Site extends GeoSiteCredentials {
  readonly name: string;
}

const SECRET = 'a'.repeat(40);
const NOW = new Date('2026-11-25T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const sites: Record<string, Site> = {
  AKEYSECONDARY0000001: { name: 'secondary-1', secret: SECRET, enabled: true },
  AKEYDISABLED00000002: { name: 'disabled', secret: SECRET, enabled: false },
};
const lookupSite = (key: string): Site | undefined => sites[key];
const DATA = { replicable_name: 'packages_nuget_symbol', replicable_id: 42 };
const sign = (overrides: Partial<Parameters<typeof signGeoJwt>[0]> = {}): string =>
  signGeoJwt({ accessKey: 'AKEYSECONDARY0000001', secret: SECRET, data: DATA, now: NOW, ...overrides });
const verify = (header: string | undefined, now = NOW, expected: Record<string, string | number> = DATA): Promise<Site> =>
  verifyGeoAuthorization(header, { lookupSite, expected, now });

async function rejection(promise: Promise<unknown>): Promise<UnauthenticatedError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnauthenticatedError);
  expect((err as UnauthenticatedError).code).toBe(ErrorCodes.UNAUTHENTICATED);
  return err as UnauthenticatedError;
}

describe('signGeoJwt', () => {
  it('produces GitLab-shaped claims and header', () => {
    const header = sign();
    expect(header.startsWith('GL-Geo AKEYSECONDARY0000001:')).toBe(true);
    const token = header.slice('GL-Geo AKEYSECONDARY0000001:'.length);
    const decoded = jwt.decode(token, { complete: true });
    expect(decoded?.header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    const payload = decoded?.payload as jwt.JwtPayload;
    expect(payload['data']).toBe(JSON.stringify(DATA));
    expect(payload).toMatchObject({ iat: NOW_S, nbf: NOW_S - 5, exp: NOW_S + 60 });
    expect(payload.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jwt.decode(sign().split(':')[1]!) as jwt.JwtPayload).not.toHaveProperty('jti', payload.jti);
  });
});

describe('verifyGeoAuthorization', () => {
  it('returns the calling site for a valid, bound token', async () => {
    await expect(verify(sign())).resolves.toMatchObject({ name: 'secondary-1' });
  });

  it('accepts tokens within the 60 s leeway (clock skew)', async () => {
    await expect(verify(sign(), new Date(NOW.getTime() + 119_000))).resolves.toMatchObject({ name: 'secondary-1' }); // exp + 59 s
    await expect(verify(sign(), new Date(NOW.getTime() - 59_000))).resolves.toMatchObject({ name: 'secondary-1' }); // iat 59 s ahead
  });

  it('rejects a token signed with another secret', async () => {
    const err = await rejection(verify(sign({ secret: 'b'.repeat(40) })));
    expect(err.message).toBe('Error decoding Geo request: invalid signature');
  });

  it('rejects an unknown access key', async () => {
    await rejection(verify(sign({ accessKey: 'NOSUCHKEY00000000000' })));
  });

  it('rejects a disabled site', async () => {
    await rejection(verify(sign({ accessKey: 'AKEYDISABLED00000002' })));
  });

  it('rejects a token expired beyond the leeway with GitLab message', async () => {
    const err = await rejection(verify(sign(), new Date(NOW.getTime() + 121_000)));
    expect(err.message).toBe(GEO_JWT_LEEWAY_MESSAGE);
    expect(err.message).toBe('Signature not within leeway of 60 seconds. Check your system clocks!');
  });

  it('rejects a token whose nbf is in the future beyond the leeway', async () => {
    const err = await rejection(verify(sign(), new Date(NOW.getTime() - 66_000)));
    expect(err.message).toBe(GEO_JWT_LEEWAY_MESSAGE);
  });

  it('rejects an iat in the future beyond the leeway (verify_iat)', async () => {
    const token = jwt.sign({ data: JSON.stringify(DATA), iat: NOW_S + 3600, nbf: NOW_S - 5, exp: NOW_S + 7200 }, SECRET, { algorithm: 'HS256' });
    const err = await rejection(verify(`GL-Geo AKEYSECONDARY0000001:${token}`));
    expect(err.message).toBe('Error decoding Geo request: Invalid iat');
  });

  it.each([
    ['another replicable id', { ...DATA, replicable_id: 43 }],
    ['another replicable name', { ...DATA, replicable_name: 'package_file' }],
    ['the id as a string', { ...DATA, replicable_id: '42' }],
    ['an extra parameter', { ...DATA, checksum: 'abc' }],
  ])('rejects a token not bound to the request: %s', async (_label, expected) => {
    const err = await rejection(verify(sign(), NOW, expected));
    expect(err.message).toMatch(/does not match the request/);
  });

  it('rejects a data claim that is not a JSON string', async () => {
    const token = jwt.sign({ data: DATA, iat: NOW_S, exp: NOW_S + 60 }, SECRET, { algorithm: 'HS256' });
    await rejection(verify(`GL-Geo AKEYSECONDARY0000001:${token}`));
  });

  it('rejects a token using another algorithm', async () => {
    const token = jwt.sign({ data: JSON.stringify(DATA), iat: NOW_S, exp: NOW_S + 60 }, SECRET, { algorithm: 'HS512' });
    await rejection(verify(`GL-Geo AKEYSECONDARY0000001:${token}`));
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no space', `GL-GeoAKEYSECONDARY0000001:${'x'}`],
    ['wrong type', sign().replace('GL-Geo', 'Bearer')],
    ['lower-case type', sign().replace('GL-Geo', 'gl-geo')],
    ['no colon', sign().replace(':', '')],
    ['empty access key', sign().replace('AKEYSECONDARY0000001', '')],
    ['empty token', 'GL-Geo AKEYSECONDARY0000001:'],
    ['three parts', `${sign()} extra`],
  ])('rejects a malformed header: %s', async (_label, header) => {
    await rejection(verify(header));
  });
});

describe('parseGeoAuthorization', () => {
  it('splits on the first colon only', () => {
    expect(parseGeoAuthorization('GL-Geo key:a.b:c')).toEqual({ accessKey: 'key', token: 'a.b:c' });
  });
});
