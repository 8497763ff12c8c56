import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPLICABLES } from '@geo/replicables';
import Fastify from 'fastify';
import { startGatewayUnderTest, type GatewayUnderTest } from '../testing/gateway-under-test';
import { ADMIN_PAGE_CSP, adminPageRoutes } from './admin-page-routes';

const STATIC_DIR = join(__dirname, 'static');

describe('the gateway serves the admin page (adminPageRoutes)', () => {
  let gateway: GatewayUnderTest;
  beforeAll(async () => {
    gateway = await startGatewayUnderTest();
  });
  afterAll(async () => {
    await gateway?.close();
  });
  const get = (path: string) => fetch(`${gateway.baseUrl}${path}`, { redirect: 'manual' });

  it.each([
    ['/admin/geo', 'index.html', 'text/html; charset=utf-8'],
    ['/admin/geo/admin-geo.js', 'admin-geo.js', 'text/javascript; charset=utf-8'],
    ['/admin/geo/admin-geo.css', 'admin-geo.css', 'text/css; charset=utf-8'],
  ])('GET %s serves static/%s without a token, with a strict CSP', async (url, file, type) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('content-security-policy')).toBe(ADMIN_PAGE_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(readFileSync(join(STATIC_DIR, file), 'utf8'));
  });

  it('the page loads only its own assets, by absolute path (relative ones would resolve under /admin/)', () => {
    const html = readFileSync(join(STATIC_DIR, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(['/admin/geo/admin-geo.css', '/admin/geo/admin-geo.js', 'data:,']);
  });

  it('the script never renders through innerHTML / outerHTML / insertAdjacentHTML / document.write', () => {
    const js = readFileSync(join(STATIC_DIR, 'admin-geo.js'), 'utf8');
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('GET /admin/geo/replicables.json lists the catalogue for the page', async () => {
    const res = await get('/admin/geo/replicables.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([expect.objectContaining({ name: 'packages_nuget_symbol', registriesField: 'packagesNugetSymbolRegistries', statusPrefix: 'packages_nuget_symbols' })]);
  });

  it('redirects /admin/geo/ to /admin/geo and serves nothing else under it', async () => {
    const slash = await get('/admin/geo/');
    expect(slash.status).toBe(308);
    expect(slash.headers.get('location')).toBe('/admin/geo');
    for (const url of ['/admin/geo/index.html', '/admin/geo/..%2F..%2F..%2F..%2F..%2Fpackage.json', '/admin/geo/static/admin-geo.js']) {
      expect((await get(url)).status).toBe(404);
    }
  });

  it('fails at registration when a file is missing (not on the first visit)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admin-page-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    const broken = Fastify();
    await expect(broken.register(adminPageRoutes, { replicables: REPLICABLES, staticDir: dir }).ready()).rejects.toThrow(/admin-geo\.js/);
    await broken.close().catch(() => undefined);
  });
});
