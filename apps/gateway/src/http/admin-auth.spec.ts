import { adminTokenMatches, presentedAdminToken } from './admin-auth';

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
