import { startGatewayUnderTest, type GatewayUnderTest } from '../testing/gateway-under-test';

describe('/-/health and /-/readiness', () => {
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    gateway = await startGatewayUnderTest();
  });
  afterAll(async () => {
    await gateway?.close();
  });
  afterEach(() => {
    gateway.health.database = { ok: true };
    gateway.health.nuget = { ok: true };
  });

  const get = async (path: string) => {
    const response = await fetch(`${gateway.baseUrl}${path}`);
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };

  it('health answers "GitLab OK" as plain text, without a token', async () => {
    expect(await get('/-/health')).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: 'GitLab OK' });
  });

  it('health answers 503 when the database is down', async () => {
    gateway.health.database = { ok: false, message: 'PostgreSQL did not answer within 2000 ms' };
    expect(await get('/-/health')).toMatchObject({ status: 503, text: 'GitLab Not OK: PostgreSQL did not answer within 2000 ms' });
  });

  it('readiness answers 200 with every check ok', async () => {
    const answer = await get('/-/readiness');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ status: 'ok', db_check: [{ status: 'ok' }], nuget_check: [{ status: 'ok' }] });
  });

  it.each([
    ['database', { db_check: [{ status: 'failed', message: 'down' }], nuget_check: [{ status: 'ok' }] }],
    ['nuget', { db_check: [{ status: 'ok' }], nuget_check: [{ status: 'failed', message: 'down' }] }],
  ] as const)('readiness answers 503 naming the failed %s check', async (which, checks) => {
    gateway.health[which] = { ok: false, message: 'down' };
    const answer = await get('/-/readiness');
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({ status: 'failed', ...checks });
  });
});
