import { ErrorCodes } from '@geo/domain';
import { FAKE_API_KEY } from '../testing/fake-nuget-service';
import { startGatewayUnderTest, TEST_ADMIN_TOKEN, type GatewayUnderTest } from '../testing/gateway-under-test';

describe('namespaces and projects admin API', () => {
  let gateway: GatewayUnderTest;
  const admin = { 'private-token': TEST_ADMIN_TOKEN };

  beforeAll(async () => {
    gateway = await startGatewayUnderTest();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
    const response = await fetch(`${gateway.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  it.each([
    ['GET', '/api/v4/namespaces'],
    ['POST', '/api/v4/namespaces'],
    ['GET', '/api/v4/projects'],
    ['POST', '/api/v4/projects'],
    ['GET', '/api/v4/projects/5'],
  ])('%s %s answers 401 without the admin token, or with a wrong one', async (method, path) => {
    const attempts: Array<Record<string, string>> = [{}, { 'private-token': 'wrong' }, { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` }];
    for (const headers of attempts) {
      expect(await call(method, path, headers, method === 'POST' ? {} : undefined)).toEqual({
        status: 401,
        json: { message: '401 Unauthorized', code: ErrorCodes.UNAUTHENTICATED },
      });
    }
  });

  it('creates a subgroup and lists groups, in GitLab field names', async () => {
    expect(await call('POST', '/api/v4/namespaces', admin, { name: 'Platform', path: 'platform', parent_id: 1 })).toEqual({
      status: 201,
      json: { id: 8, name: 'Platform', path: 'platform', kind: 'group', full_path: 'acme/platform', parent_id: 1 },
    });
    expect(await call('GET', '/api/v4/namespaces', { authorization: `Bearer ${TEST_ADMIN_TOKEN}` })).toEqual({
      status: 200,
      json: [{ id: 1, name: 'Acme', path: 'acme', kind: 'group', full_path: 'acme', parent_id: null }],
    });
  });

  it("passes the nuget app's errors through (409 for a taken path)", async () => {
    expect(await call('POST', '/api/v4/namespaces', admin, { name: 'x', path: 'taken' })).toEqual({
      status: 409,
      json: { message: 'Path has already been taken', code: ErrorCodes.ALREADY_EXISTS },
    });
  });

  it('validates bodies before calling the nuget app', async () => {
    expect(await call('POST', '/api/v4/namespaces', admin, { path: 'p', parent_id: 'one' })).toEqual({
      status: 400,
      json: { message: 'name is missing, parent_id is invalid', code: ErrorCodes.INVALID_ARGUMENT, errors: { name: ['is missing'], parent_id: ['is invalid'] } },
    });
    expect((await call('POST', '/api/v4/projects', admin, { name: 'Lib', path: 'lib' })).status).toBe(400);
  });

  it('creates a project and shows its NuGet API key once', async () => {
    const created = await call('POST', '/api/v4/projects', admin, { name: 'Lib', path: 'lib', namespace_id: 1 });
    expect(created).toEqual({
      status: 201,
      json: { id: 5, name: 'Lib', path: 'lib', path_with_namespace: 'acme/lib', namespace_id: 1, repository_storage: 'default', nuget_api_key: FAKE_API_KEY },
    });
    const shown = await call('GET', '/api/v4/projects/5', admin);
    expect(shown.status).toBe(200);
    expect(shown.json).not.toHaveProperty('nuget_api_key');
    const listed = await call('GET', '/api/v4/projects', admin);
    expect(listed.json).toEqual([expect.not.objectContaining({ nuget_api_key: expect.anything() })]);
  });

  it('answers 404 for an unknown project and 400 for a malformed id', async () => {
    expect((await call('GET', '/api/v4/projects/6', admin)).status).toBe(404);
    expect((await call('GET', '/api/v4/projects/abc', admin)).json).toEqual({
      message: 'id is invalid',
      code: ErrorCodes.INVALID_ARGUMENT,
      errors: { id: ['is invalid'] },
    });
  });

  it('answers malformed JSON with 400', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/v4/namespaces`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{"name":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});
