import { adminTokenMatches, presentedAdminToken, tokenRole } from './admin-auth';

const TOKEN = 'admin-token-0123456789abcdef';

describe('presentedAdminToken', () => {
  it.each([
    [{ 'private-token': TOKEN }, TOKEN],
    [{ authorization: `Bearer ${TOKEN}` }, TOKEN],
    [{ authorization: `bearer   ${TOKEN} ` }, TOKEN],
    [{ 'private-token': TOKEN, authorization: 'Bearer other' }, TOKEN],
    [{ 'private-token': '', authorization: `Bearer ${TOKEN}` }, TOKEN],
    [{ authorization: `Basic ${TOKEN}` }, undefined],
    [{ authorization: 'Bearer' }, undefined],
    [{ authorization: 'Bearer a b' }, undefined],
    [{}, undefined],
  ])('reads %j as %s', (headers, expected) => {
    expect(presentedAdminToken(headers)).toBe(expected);
  });
});

describe('adminTokenMatches', () => {
  it.each([
    [TOKEN, true],
    [`${TOKEN}x`, false],
    [TOKEN.slice(0, -1), false],
    [TOKEN.toUpperCase(), false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (presented, expected) => {
    expect(adminTokenMatches(presented, TOKEN)).toBe(expected);
  });
});

describe('tokenRole', () => {
  const tokens = { admin: TOKEN, nonAdmin: ['reader-token-0123456789', 'other-reader-token-01234'] };
  it.each([
    [{ 'private-token': TOKEN }, 'admin'],
    [{ authorization: `Bearer ${TOKEN}` }, 'admin'],
    [{ 'private-token': 'other-reader-token-01234' }, 'user'],
    [{ authorization: 'Bearer reader-token-0123456789' }, 'user'],
    [{ 'private-token': 'reader-token-0123456789x' }, 'anonymous'],
    [{}, 'anonymous'],
  ])('%j is %s', (headers, role) => {
    expect(tokenRole(headers, tokens)).toBe(role);
  });

  it('with no non-admin tokens, any token but the admin one is anonymous', () => {
    expect(tokenRole({ 'private-token': 'reader-token-0123456789' }, { admin: TOKEN, nonAdmin: [] })).toBe('anonymous');
  });
});
