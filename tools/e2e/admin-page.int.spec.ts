/**
 * The admin page `/admin/geo` end to end (issue 6, item 5): two sites as real processes, the
 * secondary's page in headless Debian Chromium (playwright-core). The page asks for the token (a
 * wrong one and a non-admin one get their message), shows the numbers of the REST status API, lists
 * the registries GraphQL lists (filters, search, pagination), and a failed row's Resync click makes
 * it synced. The primary's page lists both sites. A screenshot is saved at SCREENSHOT_PATH
 * (README "Admin page").
 *
 * Chromium is /usr/bin/chromium (or GEO_CHROMIUM_PATH). Without it the suite is skipped locally
 * and FAILS under CI=true (.ci/run installs Debian's `chromium`).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FsBlobStore } from '@geo/storage';
import { buildNupkg, buildSnupkg, readFixture } from '@geo/testing';
import { startTwoSites, type TwoSites } from '../dev/lib/two-sites';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../..');
/** Where the screenshot goes (git-ignored, documented in README.md). */
export const SCREENSHOT_PATH = join(ROOT, '.dev/screenshots/admin-geo.png');
const CHROMIUM_PATH = process.env['GEO_CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** TOOLCHAIN.md §9: the launch options that work with Debian's chromium. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const NON_ADMIN_TOKEN = 'e2e-admin-page-non-admin-token-0123';
const PREFIX = 'packages_nuget_symbols';
const SYNCED = 2;
const FAILED = 3;
const V_SUCCEEDED = 2;

const haveChromium = existsSync(CHROMIUM_PATH);
const inCi = process.env['CI'] === 'true';
// Locally a missing browser skips; in CI the suite runs and its beforeAll fails with the reason.
const describeWithChromium = haveChromium || inCi ? describe : describe.skip;
if (!haveChromium && !inCi) console.warn(`admin-page e2e skipped: no chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set GEO_CHROMIUM_PATH)`);

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : inspect(last)})`}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface RegistryNode {
  readonly id: string;
  readonly modelRecordId: number;
  readonly state: string;
  readonly verificationState: string;
}

interface Connection {
  readonly count: number;
  readonly nodes: RegistryNode[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

describeWithChromium('admin page /admin/geo in headless Chromium', () => {
  let sites: TwoSites;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let okIds: number[];
  let missingId: number;
  let missingKey: string;
  let missingBytes: Buffer;

  const secondaryUrl = () => sites.secondary.site!.url!;

  /** The secondary's REST API, as an admin. */
  async function rest<T>(path: string): Promise<T> {
    const res = await fetch(`${secondaryUrl()}${path}`, { headers: { 'PRIVATE-TOKEN': sites.adminToken } });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The secondary's GraphQL registries, with the API's own arguments (not the page's code). */
  async function registries(args: Record<string, unknown> = {}): Promise<Connection> {
    const res = await fetch(`${secondaryUrl()}/api/graphql`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': sites.adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `query($first: Int, $after: String, $replicationState: ReplicationStateEnum, $verificationState: VerificationStateEnum, $keyword: String) {
          geoNode { packagesNugetSymbolRegistries(first: $first, after: $after, replicationState: $replicationState, verificationState: $verificationState, keyword: $keyword) {
            count nodes { id modelRecordId state verificationState } pageInfo { hasNextPage endCursor } } } }`,
        variables: { first: 20, ...args },
      }),
    });
    const body = (await res.json()) as { data?: { geoNode: { packagesNugetSymbolRegistries: Connection } }; errors?: unknown[] };
    if (res.status !== 200 || body.errors !== undefined) throw new Error(`GraphQL answered ${res.status}: ${JSON.stringify(body)}`);
    return body.data!.geoNode.packagesNugetSymbolRegistries;
  }

  type StatusJson = Record<string, unknown> & { geo_node_id: number };

  async function registryRow(id: number): Promise<{ state: number; verification_state: number } | undefined> {
    const r = await sites.secondary.pg.query<{ state: number; verification_state: number }>(
      'SELECT state, verification_state FROM packages_nuget_symbol_registry WHERE packages_nuget_symbol_id = $1',
      [id],
    );
    return r.rows[0];
  }

  /**
   * The rows the page shows (GraphQL id, record id, state and verification values), read in one
   * evaluation so an auto-refresh cannot replace the table halfway through. A string, as this
   * project's TypeScript has no DOM types.
   */
  async function shownRows(): Promise<Array<{ id: string; modelRecordId: number; state: string; verificationState: string }>> {
    return page.evaluate(`[...document.querySelectorAll('#registry-rows tr[data-registry-id]')].map((row) => ({
      id: row.dataset.registryId,
      modelRecordId: Number(row.dataset.modelRecordId),
      state: row.querySelector('[data-col="state"]')?.dataset.value ?? '',
      verificationState: row.querySelector('[data-col="verification"]')?.dataset.value ?? '',
    }))`);
  }

  /** Waits until the page shows exactly what GraphQL answers for the same arguments. */
  async function expectRowsToMatchApi(args: Record<string, unknown>): Promise<void> {
    await poll(`the page's rows to match GraphQL ${JSON.stringify(args)}`, async () => {
      const [shown, api] = [await shownRows(), await registries(args)];
      const expected = api.nodes.map((n) => ({ id: n.id, modelRecordId: n.modelRecordId, state: n.state, verificationState: n.verificationState }));
      return JSON.stringify(shown) === JSON.stringify(expected) && api.nodes.length > 0 ? true : undefined;
    }, 20_000);
  }

  async function pushPackage(project: { id: number; apiKey: string }, id: string, pdbs: Array<{ path: string; bytes: Buffer }>): Promise<number[]> {
    for (const [suffix, body] of [['', buildNupkg({ id, version: '1.0.0' })], ['symbolpackage', buildSnupkg({ id, version: '1.0.0', pdbs })]] as const) {
      const form = new FormData();
      form.append('package', new Blob([body]), 'package');
      const res = await fetch(`${sites.primary.url}/api/v4/projects/${project.id}/packages/nuget/${suffix}`, { method: 'PUT', headers: { 'X-NuGet-ApiKey': project.apiKey }, body: form });
      expect(res.status).toBe(201);
    }
    const rows = await sites.primary.pg.query<{ id: string }>(
      'SELECT s.id FROM packages_nuget_symbols s JOIN packages_packages p ON p.id = s.package_id WHERE p.project_id = $1 AND p.name = $2 ORDER BY s.id',
      [project.id, id],
    );
    return rows.rows.map((r) => Number(r.id));
  }

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`chromium is missing at ${CHROMIUM_PATH}: CI must install Debian's chromium (.ci/run does when it is absent)`);
    sites = await startTwoSites({
      label: 'e2e_admin_page',
      secondaryEnv: { GEO_REGISTRY_SWEEP_INTERVAL_SECONDS: '2', GEO_NON_ADMIN_TOKENS: NON_ADMIN_TOKEN },
    });
    const ns = await sites.admin<{ id: number }>('POST', '/namespaces', { name: 'admin-page', path: 'admin-page' });
    const project = await sites.admin<{ id: number; nuget_api_key: string }>('POST', '/projects', { name: 'Symbols', path: 'symbols', namespace_id: ns.id });
    const target = { id: project.id, apiKey: project.nuget_api_key };

    // A failed registry, by the "blob missing on the primary" technique of two-sites.int.spec.ts:
    // the blob is removed before the secondary's blob-transfer may download it.
    await sites.secondary.site!.stopApp('blob-transfer');
    okIds = await pushPackage(target, 'Admin.Ok', [
      { path: 'lib/net8.0/PdbChecksumLib.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') },
      { path: 'lib/net8.0/EmptyPdb.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') },
    ]);
    [missingId] = (await pushPackage(target, 'Admin.Missing', [{ path: 'lib/net8.0/pdb-mismatch.pdb', bytes: readFixture('cecil/pdb-mismatch.pdb') }])) as [number];
    const key = await sites.primary.pg.query<{ key: string }>('SELECT object_storage_key AS key FROM packages_nuget_symbols WHERE id = $1', [missingId]);
    missingKey = key.rows[0]!.key;
    missingBytes = readFileSync(join(sites.primary.blobRoot, missingKey));
    await new FsBlobStore({ root: sites.primary.blobRoot }).delete(missingKey);
    await sites.secondary.site!.startApp('blob-transfer');

    await poll('the missing blob\'s registry to fail', async () => ((await registryRow(missingId))?.state === FAILED ? true : undefined));
    // Its automatic retry is an hour away: only the page's Resync can sync it during this test, and
    // the counts stay still while the page and the API are compared.
    await sites.secondary.pg.query("UPDATE packages_nuget_symbol_registry SET retry_at = now() + interval '1 hour' WHERE packages_nuget_symbol_id = $1", [missingId]);
    for (const id of okIds) {
      await poll(`record ${id} synced and verified`, async () => {
        const row = await registryRow(id);
        return row?.state === SYNCED && row.verification_state === V_SUCCEEDED ? true : undefined;
      });
    }
    // The status app reuses a status for up to 10 s: wait until the API shows the settled counts.
    await poll('the status API to show 2 synced, 1 failed, 2 verified', async () => {
      const [status] = await rest<StatusJson[]>('/api/v4/geo_sites/status');
      return status?.[`${PREFIX}_synced_count`] === 2 && status[`${PREFIX}_failed_count`] === 1 && status[`${PREFIX}_verified_count`] === 2 ? true : undefined;
    });

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => console.error(`admin page error: ${error.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await sites?.stop();
  });

  it('asks for the token; a wrong token gets the 401 message, a non-admin token the 403 message', async () => {
    await page.goto(`${secondaryUrl()}/admin/geo`);
    await page.locator('#token-section').waitFor({ state: 'visible' });
    expect(await page.locator('#sites-section').isVisible()).toBe(false);

    await page.fill('#token-input', 'not-a-token-anyone-has');
    await page.click('#token-save');
    await page.locator('#notice[data-kind="error"]', { hasText: '401 Unauthorized' }).waitFor();
    expect(await page.locator('#token-section').isVisible()).toBe(true);

    await page.fill('#token-input', NON_ADMIN_TOKEN);
    await page.click('#token-save');
    await page.locator('#notice[data-kind="error"]', { hasText: '403 Forbidden' }).waitFor();
    expect(await page.locator('#token-section').isVisible()).toBe(true);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('geo-admin-token')")).toBeNull();

    await page.fill('#token-input', sites.adminToken);
    await page.click('#token-save');
    await page.locator('#sites-section').waitFor({ state: 'visible' });
    expect(await page.locator('#token-section').isVisible()).toBe(false);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('geo-admin-token')")).toBe(sites.adminToken);
  });

  it('shows the site with its health and the per-type numbers of the REST status API', async () => {
    const [status] = await rest<StatusJson[]>('/api/v4/geo_sites/status');
    const card = page.locator(`article.site[data-site-id="${status!.geo_node_id}"]`);
    await card.waitFor();
    const fields = ['registry_count', 'synced_count', 'failed_count', 'verified_count', 'verification_failed_count', 'verification_total_count', 'synced_in_percentage', 'verified_in_percentage'];
    for (const name of fields) {
      const full = `${PREFIX}_${name}`;
      expect({ field: full, shown: await card.locator(`.type[data-type="packages_nuget_symbol"] [data-field="${full}"]`).first().textContent() }).toEqual({ field: full, shown: String(status![full]) });
    }
    // And what those are here: 3 registries, 2 synced, 1 failed, 2 verified.
    expect(status).toMatchObject({ [`${PREFIX}_registry_count`]: 3, [`${PREFIX}_synced_count`]: 2, [`${PREFIX}_failed_count`]: 1, [`${PREFIX}_synced_in_percentage`]: '66.67%', [`${PREFIX}_verified_in_percentage`]: '66.67%' });
    expect(await card.locator('[data-bar="synced"] .progress-percent').textContent()).toBe('66.67%');
    expect(await card.locator('[data-field="health_status"]').textContent()).toBe(String(status!['health_status']));
    const cursor = status!['cursor_last_event_id'] as number | null;
    expect(await card.locator('[data-field="cursor_last_event_id"]').textContent()).toBe(cursor === null ? '—' : String(cursor));
    expect(await card.locator('h3').textContent()).toBe('e2e_admin_page-secondary');
    expect(await card.locator('[data-role]').textContent()).toBe('Secondary');
  });

  it('lists every site by name and role (geo_sites read through the primary), marking this one', async () => {
    await page.locator('article.site').nth(1).waitFor();
    expect(await page.locator('article.site h3').allTextContents()).toEqual(['e2e_admin_page-primary', 'e2e_admin_page-secondary']);
    expect(await page.locator('article.site [data-role]').allTextContents()).toEqual(['Primary', 'Secondary']);
    expect(await page.locator('article.site:has(.badge.current) h3').allTextContents()).toEqual(['e2e_admin_page-secondary']);
    expect(await page.locator('#current-site').textContent()).toBe('e2e_admin_page-secondary · secondary');
    // This secondary holds only its own status; the primary's card says where the primary's is.
    expect(await page.locator('article.site').first().textContent()).toContain("Its status is shown on that site's own gateway");
  });

  it('lists the registries GraphQL lists, with the state and verification filters and the search box', async () => {
    await page.locator('#registries-section').waitFor({ state: 'visible' });
    await expectRowsToMatchApi({});
    expect((await shownRows()).map((r) => r.modelRecordId).sort((a, b) => a - b)).toEqual([...okIds, missingId].sort((a, b) => a - b));
    expect(await page.locator('#registries-count').getAttribute('data-count')).toBe(String((await registries()).count));

    await page.selectOption('#filter-state', 'FAILED');
    await expectRowsToMatchApi({ replicationState: 'FAILED' });
    expect((await shownRows()).map((r) => r.modelRecordId)).toEqual([missingId]);
    const failedRow = page.locator(`tr[data-model-record-id="${missingId}"]`);
    expect(await failedRow.locator('[data-col="problem"]').textContent()).toBe('The file is missing on the Geo primary site');

    await page.selectOption('#filter-state', '');
    await page.selectOption('#filter-verification', 'SUCCEEDED');
    await expectRowsToMatchApi({ verificationState: 'SUCCEEDED' });
    expect((await shownRows()).map((r) => r.modelRecordId)).toEqual(okIds);
    await page.selectOption('#filter-verification', '');

    await page.fill('#filter-keyword', 'pdb-mismatch');
    await page.press('#filter-keyword', 'Enter');
    await expectRowsToMatchApi({ keyword: 'pdb-mismatch' });
    // The search matches the symbol's file name: only the failed record's.
    expect((await shownRows()).map((r) => r.modelRecordId)).toEqual([missingId]);
    await page.fill('#filter-keyword', '');
    await page.press('#filter-keyword', 'Enter');
    await expectRowsToMatchApi({});
  });

  it('pages with next/previous through the GraphQL cursors', async () => {
    await page.goto(`${secondaryUrl()}/admin/geo?per_page=2`);
    const first = await registries({ first: 2 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    await expectRowsToMatchApi({ first: 2 });
    await page.click('#page-next');
    await expectRowsToMatchApi({ first: 2, after: first.pageInfo.endCursor });
    expect(await page.locator('#page-next').isDisabled()).toBe(true);
    await page.click('#page-prev');
    await expectRowsToMatchApi({ first: 2 });
    expect(await page.locator('#page-prev').isDisabled()).toBe(true);
    await page.goto(`${secondaryUrl()}/admin/geo`);
    await expectRowsToMatchApi({});
  });

  it('Resync on the failed row, once the blob is back on the primary, shows the row becoming synced', async () => {
    await new FsBlobStore({ root: sites.primary.blobRoot }).put(missingKey, missingBytes);
    const row = page.locator(`tr[data-model-record-id="${missingId}"]`);
    expect(await row.locator('[data-col="state"]').getAttribute('data-value')).toBe('FAILED');
    await row.locator('button[data-action="RESYNC"]').click();
    await page.locator('#notice[data-kind="success"]', { hasText: 'scheduled for resync' }).waitFor();
    // The page refreshes by itself after an action: no reload here.
    await row.locator('[data-col="state"][data-value="SYNCED"]').waitFor({ timeout: 60_000 });
    expect(await row.locator('[data-col="state"]').textContent()).toBe('Synced');
    expect((await registryRow(missingId))?.state).toBe(SYNCED);
    expect(readFileSync(join(sites.secondary.blobRoot, missingKey)).equals(missingBytes)).toBe(true);

    // The counts follow (the status is recomputed at most every 10 s).
    const card = page.locator('article.site[data-site-id]');
    await card.locator(`[data-field="${PREFIX}_synced_count"]`, { hasText: /^3$/ }).first().waitFor({ timeout: 30_000 });

    mkdirSync(dirname(SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    expect(readFileSync(SCREENSHOT_PATH).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('Reverify all (with the filters) answers with a notice, and every synced row is verified again', async () => {
    const ids = [...okIds, missingId];
    /** Each row's verification state and verified_at (ms), in one query. */
    const verification = async (): Promise<Map<number, { state: number; at: number }>> => {
      const r = await sites.secondary.pg.query<{ id: string; verification_state: number; verified_at: Date | null }>(
        'SELECT packages_nuget_symbol_id AS id, verification_state, verified_at FROM packages_nuget_symbol_registry WHERE packages_nuget_symbol_id = ANY($1::bigint[])',
        [ids],
      );
      return new Map(r.rows.map((row) => [Number(row.id), { state: row.verification_state, at: row.verified_at?.getTime() ?? 0 }]));
    };
    // The resynced row is verified once the primary has checksummed its restored blob (its failed
    // checksum is retried with backoff: up to 74 s for the first retry).
    const before = await poll('every row verified before the bulk action', async () => {
      const rows = await verification();
      return ids.every((id) => rows.get(id)?.state === V_SUCCEEDED) ? rows : undefined;
    }, 150_000);
    await page.selectOption('#filter-state', 'SYNCED');
    await expectRowsToMatchApi({ replicationState: 'SYNCED' });
    await page.click('#bulk-reverify');
    expect(await page.locator('#bulk-reverify').textContent()).toBe('Click again to confirm');
    await page.click('#bulk-reverify');
    await page.locator('#notice[data-kind="success"]', { hasText: 'scheduled for reverification' }).waitFor();
    // REVERIFY_ALL made them pending; the secondary's checksum app verifies them again (a later verified_at).
    await poll('every synced row verified again', async () => {
      const after = await verification();
      return ids.every((id) => after.get(id)?.state === V_SUCCEEDED && after.get(id)!.at > before.get(id)!.at) ? true : undefined;
    });
    await page.selectOption('#filter-state', '');
  });

  it('the primary\'s page lists both sites by name and role, and no registries', async () => {
    const primaryPage = await context.newPage();
    await primaryPage.goto(`${sites.primary.url}/admin/geo`);
    await primaryPage.fill('#token-input', sites.adminToken);
    await primaryPage.click('#token-save');
    await primaryPage.locator('#sites-section').waitFor({ state: 'visible' });
    const names = await primaryPage.locator('article.site h3').allTextContents();
    expect(names).toEqual(['e2e_admin_page-primary', 'e2e_admin_page-secondary']);
    expect(await primaryPage.locator('article.site [data-role]').allTextContents()).toEqual(['Primary', 'Secondary']);
    expect(await primaryPage.locator('#registries-section').isVisible()).toBe(false);
    expect(await primaryPage.locator('#registries-elsewhere').isVisible()).toBe(true);
    await primaryPage.close();
  });
});
