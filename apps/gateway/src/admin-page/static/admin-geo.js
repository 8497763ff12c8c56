// The Geo admin page (`/admin/geo`): sites with health and per-type progress bars from the REST
// status API, and this site's registries from GraphQL, with filters, pagination and resync/reverify.
//
// Plain ES module, no build step, nothing loaded from another origin. Every piece of data reaches
// the DOM as text nodes or attributes (`el()` below): nothing is ever parsed as HTML.

const TOKEN_KEY = 'geo-admin-token';
/** Registries per page: 20 (GitLab's default), or `?per_page=N` (1–100) on the page's URL. */
const PAGE_SIZE = (() => {
  const n = Number(new URLSearchParams(location.search).get('per_page'));
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : 20;
})();
/** Refresh period: normally, and for a while after an action (to watch its effect). */
const REFRESH_MS = 5000;
const FAST_REFRESH_MS = 1000;
const FAST_REFRESH_FOR_MS = 60_000;
/** A bulk button asks to be clicked again within this time before it acts. */
const CONFIRM_MS = 5000;

const STATE_LABELS = { PENDING: 'Pending', STARTED: 'Started', SYNCED: 'Synced', FAILED: 'Failed' };
const VERIFICATION_LABELS = { PENDING: 'Pending', STARTED: 'Started', SUCCEEDED: 'Succeeded', FAILED: 'Failed', DISABLED: 'Disabled' };
const GRAPHQL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const page = {
  /** `/admin/geo/replicables.json`: `{ name, statusPrefix, title, registriesField, registryClass }[]`. */
  types: [],
  typeIndex: 0,
  filters: { state: '', verification: '', keyword: '' },
  /** `after` cursors of the pages seen so far; the last one is the page shown (null: the first). */
  cursors: [null],
  pageInfo: null,
  timer: undefined,
  fastUntil: 0,
  refreshing: false,
  again: false,
  /** Set by `refresh()`: whether this site tracks registries (a secondary). */
  tracksRegistries: false,
};

// ---------------------------------------------------------------- DOM helpers

const $ = (id) => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`admin page: no #${id}`);
  return found;
};

/**
 * `el('span', { class: 'badge', dataset: { field: 'x' } }, 'text', child)`: attributes are set with
 * setAttribute, strings become text nodes. The only way this page creates markup.
 */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A status field's value as the API gave it, in an element the tests (and people) can find. */
function field(status, name, fallback = '—') {
  const value = status[name];
  return el('span', { class: 'value', dataset: { field: name } }, value === null || value === undefined ? fallback : String(value));
}

function showNotice(kind, message, details = []) {
  const notice = $('notice');
  notice.replaceChildren(el('strong', {}, message));
  if (details.length > 0) notice.append(el('ul', {}, details.map((d) => el('li', {}, d))));
  notice.className = `notice notice-${kind}`;
  notice.dataset.kind = kind;
  notice.hidden = false;
}

function clearNotice() {
  $('notice').hidden = true;
}

// ---------------------------------------------------------------- formatting (pure)

function pad(n) {
  return String(n).padStart(2, '0');
}

/** `2026-12-08 01:20:00 UTC` from a Date. */
function utc(date) {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

function ago(date, now = Date.now()) {
  const s = Math.round((now - date.getTime()) / 1000);
  if (s < 0) return `in ${duration(-s)}`;
  return `${duration(s)} ago`;
}

function duration(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}

/** A timestamp (ISO string, or Unix seconds as the status API renders them) as text, or '—'. */
function when(value) {
  if (value === null || value === undefined || value === '') return '—';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${utc(date)} (${ago(date)})`;
}

/** A compact timestamp for table cells: `39 s ago`, the full UTC time in its tooltip. */
function whenShort(value) {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return el('time', { datetime: date.toISOString(), title: utc(date) }, ago(date));
}

function percent(part, whole) {
  if (typeof part !== 'number' || typeof whole !== 'number' || whole <= 0) return 0;
  return Math.min(100, (part / whole) * 100);
}

/** The numeric id at the end of a GitLab global id (`gid://gitlab/GeoNode/2` → 2). */
function gidNumber(gid) {
  const match = /\/(\d+)$/.exec(String(gid ?? ''));
  return match === null ? undefined : Number(match[1]);
}

// ---------------------------------------------------------------- API

class AuthError extends Error {
  constructor(status) {
    super(status === 403 ? '403 Forbidden' : '401 Unauthorized');
    this.status = status;
  }
}

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

async function request(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { 'PRIVATE-TOKEN': token(), accept: 'application/json', ...init.headers } });
  if (res.status === 401 || res.status === 403) throw new AuthError(res.status);
  const text = await res.text();
  let body;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(`${path} answered ${res.status} with a body that is not JSON`, res.status);
  }
  if (!res.ok) throw new ApiError(`${path}: ${body?.message ?? body?.errors?.[0]?.message ?? res.statusText} (HTTP ${res.status})`, res.status);
  return body;
}

/** `POST /api/graphql`; GraphQL errors (HTTP 200 with `errors`) throw too, all their messages joined. */
async function graphql(query, variables) {
  const body = await request('/api/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  if (errors.length > 0) {
    const messages = errors.map((e) => String(e?.message ?? e));
    if (messages.some((m) => /\b401\b|unauthori[sz]ed/i.test(m))) throw new AuthError(401);
    if (messages.some((m) => /\b403\b|forbidden/i.test(m))) throw new AuthError(403);
    throw new ApiError(`GraphQL: ${messages.join('; ')}`, 200);
  }
  return body?.data ?? {};
}

function currentType() {
  return page.types[page.typeIndex];
}

function registriesQuery(type) {
  if (!GRAPHQL_NAME.test(type.registriesField)) throw new Error(`bad registries field ${type.registriesField}`);
  return `query AdminGeoRegistries($first: Int, $after: String, $replicationState: ReplicationStateEnum, $verificationState: VerificationStateEnum, $keyword: String) {
  geoNode {
    id name primary
    registries: ${type.registriesField}(first: $first, after: $after, replicationState: $replicationState, verificationState: $verificationState, keyword: $keyword) {
      count
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      nodes { id modelRecordId state retryCount retryAt lastSyncFailure lastSyncedAt verificationState verificationFailure verificationRetryCount verifiedAt checksumMismatch }
    }
  }
}`;
}

const UPDATE_MUTATION = `mutation AdminGeoRegistryUpdate($registryId: GeoBaseRegistryID!, $action: GeoRegistryAction!) {
  geoRegistriesUpdate(input: { registryId: $registryId, action: $action }) { errors registry { __typename } }
}`;

const BULK_MUTATION = `mutation AdminGeoRegistriesBulkUpdate($registryClass: GeoRegistryClass!, $action: GeoRegistriesBulkAction!, $replicationState: ReplicationStateEnum, $verificationState: VerificationStateEnum) {
  geoRegistriesBulkUpdate(input: { registryClass: $registryClass, action: $action, replicationState: $replicationState, verificationState: $verificationState }) { errors registryClass }
}`;

/** The filter variables that are set (an unset variable leaves the argument out, as GitLab's UI does). */
function filterVariables() {
  const vars = {};
  if (page.filters.state !== '') vars.replicationState = page.filters.state;
  if (page.filters.verification !== '') vars.verificationState = page.filters.verification;
  return vars;
}

// ---------------------------------------------------------------- sites

function bar(label, parts, whole, percentText, testId) {
  const track = el('div', { class: 'bar', role: 'img', 'aria-label': `${label}: ${percentText}` });
  for (const part of parts) {
    const segment = el('div', { class: `bar-segment ${part.kind}` });
    segment.style.width = `${percent(part.value, whole)}%`;
    track.append(segment);
  }
  return el('div', { class: 'progress', dataset: { bar: testId } },
    el('div', { class: 'progress-head' }, el('span', { class: 'progress-label' }, label), el('span', { class: 'progress-percent' }, percentText)),
    track,
  );
}

function typeProgress(type, status) {
  const f = (suffix) => `${type.statusPrefix}_${suffix}`;
  const section = el('div', { class: 'type', dataset: { type: type.name } }, el('h4', {}, type.title.many));
  const registry = status[f('registry_count')];
  if (typeof registry === 'number') {
    section.append(
      bar('Synchronization', [{ kind: 'ok', value: status[f('synced_count')] }, { kind: 'bad', value: status[f('failed_count')] }], registry, String(status[f('synced_in_percentage')] ?? '—'), 'synced'),
      el('p', { class: 'counts' },
        'Synced ', field(status, f('synced_count')), ' of ', field(status, f('registry_count')), ' · ',
        el('span', { class: 'failed' }, 'failed ', field(status, f('failed_count'))), ' · ',
        field(status, f('synced_in_percentage'))),
      bar('Verification', [{ kind: 'ok', value: status[f('verified_count')] }, { kind: 'bad', value: status[f('verification_failed_count')] }], registry, String(status[f('verified_in_percentage')] ?? '—'), 'verified'),
      el('p', { class: 'counts' },
        'Verified ', field(status, f('verified_count')), ' of ', field(status, f('registry_count')), ' · ',
        el('span', { class: 'failed' }, 'failed ', field(status, f('verification_failed_count'))), ' · ',
        field(status, f('verified_in_percentage')), ' · eligible ', field(status, f('verification_total_count'))),
    );
  }
  const checksumTotal = status[f('checksum_total_count')];
  if (typeof checksumTotal === 'number') {
    const done = status[f('checksummed_count')];
    const text = `${percent(done, checksumTotal).toFixed(2)}%`;
    section.append(
      bar('Checksummed', [{ kind: 'ok', value: done }, { kind: 'bad', value: status[f('checksum_failed_count')] }], checksumTotal, text, 'checksummed'),
      el('p', { class: 'counts' },
        'Checksummed ', field(status, f('checksummed_count')), ' of ', field(status, f('checksum_total_count')), ' · ',
        el('span', { class: 'failed' }, 'failed ', field(status, f('checksum_failed_count'))), ' · records ', field(status, f('count'))),
    );
  }
  if (section.childElementCount === 1) section.append(el('p', { class: 'muted' }, 'Not replicated or verified here.'));
  return section;
}

/** `#5 · 2026-12-08 01:20:00 UTC (3 s ago)`, or `—` for an event the status does not name. */
function eventRef(status, idField, timeField) {
  if (status[idField] === null || status[idField] === undefined) return field(status, idField);
  return el('span', {}, '#', field(status, idField), ' · ', when(status[timeField]));
}

/** `elsewhere`: a page on a secondary, which holds only its own status; another site's is on that site's gateway. */
function siteCard(site, status, elsewhere) {
  const healthy = status?.healthy === true;
  const role = site.primary === undefined ? null : site.primary ? 'Primary' : 'Secondary';
  const head = el('header', { class: 'site-head' },
    el('h3', {}, site.name ?? `Site ${site.id ?? '?'}`),
    role === null ? null : el('span', { class: `badge role-${role.toLowerCase()}`, dataset: { role: role.toLowerCase() } }, role),
    site.current ? el('span', { class: 'badge current' }, 'this site') : null,
    status === undefined ? (elsewhere && !site.current ? null : el('span', { class: 'badge unknown' }, 'no status')) : el('span', { class: `badge ${healthy ? 'healthy' : 'unhealthy'}`, dataset: { field: 'health_status' } }, String(status.health_status ?? (healthy ? 'Healthy' : 'Unhealthy'))),
  );
  const card = el('article', { class: 'card site', dataset: { siteId: String(site.id ?? '') } }, head);
  if (site.url) card.append(el('p', { class: 'site-url muted' }, site.url));
  if (status === undefined) {
    card.append(el('p', { class: 'muted' }, elsewhere && !site.current ? 'Its status is shown on that site\'s own gateway (/admin/geo there).' : 'This site has not reported a status yet.'));
    return card;
  }
  if (!healthy) {
    const issues = Array.isArray(status.health_issues) ? status.health_issues : [];
    card.append(el('div', { class: 'health-issues', dataset: { field: 'health' } },
      el('p', {}, String(status.health ?? 'Unhealthy')),
      issues.length === 0 ? null : el('ul', {}, issues.map((i) => el('li', {}, el('code', {}, String(i.code)), ' ', String(i.message)))),
    ));
  }
  const lag = status.event_lag_seconds;
  // A primary has no log cursor and no lag: those rows are a secondary's.
  const secondaryRows = site.primary === true ? [] : [
    el('dt', {}, 'Cursor'), el('dd', {}, eventRef(status, 'cursor_last_event_id', 'cursor_last_event_timestamp')),
    el('dt', {}, 'Event lag'), el('dd', {}, typeof lag === 'number' ? el('span', { dataset: { field: 'event_lag_seconds' } }, duration(lag)) : '—'),
  ];
  card.append(el('dl', { class: 'meta' },
    el('dt', {}, 'Last event'), el('dd', {}, eventRef(status, 'last_event_id', 'last_event_timestamp')),
    secondaryRows,
    el('dt', {}, 'Status updated'), el('dd', {}, when(status.updated_at)),
    el('dt', {}, 'Version'), el('dd', {}, `${status.version ?? '—'} (${status.revision ?? '—'})`),
  ));
  const types = el('div', { class: 'types' });
  for (const type of page.types) types.append(typeProgress(type, status));
  card.append(types);
  return card;
}

/**
 * Sites to show: the site list when this site serves it (every site does; a secondary reads it from
 * the primary, an older secondary answered 404), else one entry per status (a secondary knows only
 * its own), named from GraphQL's `geoNode` when it answered.
 */
function siteEntries(sites, statuses, node) {
  const byId = new Map(statuses.map((s) => [s.geo_node_id, s]));
  const nodeId = gidNumber(node?.id);
  if (Array.isArray(sites)) {
    const shown = sites.map((site) => ({ site, status: byId.get(site.id) }));
    const listed = new Set(sites.map((s) => s.id));
    for (const status of statuses) if (!listed.has(status.geo_node_id)) shown.push({ site: { id: status.geo_node_id }, status });
    return shown;
  }
  return statuses.map((status) => {
    const isNode = node !== null && node !== undefined && (nodeId === status.geo_node_id || statuses.length === 1);
    const site = isNode ? { id: status.geo_node_id, name: node.name, primary: node.primary, current: true } : { id: status.geo_node_id };
    return { site, status };
  });
}

function renderSites(sites, statuses, node) {
  const entries = siteEntries(sites, statuses, node);
  const container = $('sites');
  // A secondary's status list holds only its own status: other sites' cards say where theirs is.
  const onSecondary = entries.some((e) => e.site.current && e.site.primary === false);
  container.replaceChildren(...entries.map(({ site, status }) => siteCard(site, status, onSecondary)));
  if (entries.length === 0) container.append(el('p', { class: 'muted' }, 'No sites are configured yet.'));
  $('sites-section').hidden = false;
  const current = entries.find((e) => e.site.current)?.site;
  $('current-site').textContent = current === undefined ? '' : `${current.name ?? ''} · ${current.primary ? 'primary' : 'secondary'}`;
}

// ---------------------------------------------------------------- registries

function stateBadge(kind, value, labels) {
  const text = labels[value] ?? (value === null || value === undefined ? '—' : String(value));
  return el('span', { class: `badge ${kind}-${String(value ?? 'none').toLowerCase()}`, dataset: { col: kind, value: String(value ?? '') } }, text);
}

function registryRow(registry) {
  const number = gidNumber(registry.id);
  const problem = registry.lastSyncFailure ?? registry.verificationFailure ?? (registry.checksumMismatch ? 'Checksum mismatch' : null);
  return el('tr', { dataset: { registryId: String(registry.id), modelRecordId: String(registry.modelRecordId ?? '') } },
    el('td', { class: 'num' }, number ?? String(registry.id)),
    el('td', { class: 'num' }, registry.modelRecordId ?? '—'),
    el('td', {}, stateBadge('state', registry.state, STATE_LABELS)),
    el('td', {}, stateBadge('verification', registry.verificationState, VERIFICATION_LABELS)),
    el('td', { class: 'time' }, whenShort(registry.lastSyncedAt)),
    el('td', { class: 'num' }, registry.retryCount ?? 0),
    el('td', { class: 'time' }, registry.retryAt && new Date(registry.retryAt).getTime() <= Date.now() ? 'due' : whenShort(registry.retryAt)),
    el('td', { class: 'time' }, whenShort(registry.verifiedAt)),
    el('td', { class: 'problem', dataset: { col: 'problem' } }, problem ?? ''),
    el('td', { class: 'actions' },
      el('button', { type: 'button', class: 'small', dataset: { action: 'RESYNC' }, onclick: () => void updateRegistry(registry, 'RESYNC') }, 'Resync'),
      el('button', { type: 'button', class: 'small secondary', dataset: { action: 'REVERIFY' }, onclick: () => void updateRegistry(registry, 'REVERIFY') }, 'Reverify'),
    ),
  );
}

function renderRegistries(connection) {
  const type = currentType();
  const rows = $('registry-rows');
  const nodes = (connection?.nodes ?? []).filter((n) => n !== null);
  rows.replaceChildren(...nodes.map(registryRow));
  if (nodes.length === 0) rows.append(el('tr', {}, el('td', { colspan: 10, class: 'empty muted' }, 'No registries match.')));
  page.pageInfo = connection?.pageInfo ?? null;
  const first = (page.cursors.length - 1) * PAGE_SIZE;
  const count = typeof connection?.count === 'number' ? connection.count : undefined;
  $('registries-title').textContent = `${type.title.many} registries`;
  $('registries-count').textContent = count === undefined ? '' : `${count} matching`;
  $('registries-count').dataset.count = count === undefined ? '' : String(count);
  $('page-label').textContent = nodes.length === 0 ? `Page ${page.cursors.length}` : `Page ${page.cursors.length} · ${first + 1}–${first + nodes.length}${count === undefined ? '' : ` of ${count}`}`;
  $('page-prev').disabled = page.cursors.length <= 1;
  $('page-next').disabled = !(page.pageInfo?.hasNextPage && page.pageInfo.endCursor);
}

async function loadRegistries() {
  const type = currentType();
  if (type === undefined) return null;
  const variables = { first: PAGE_SIZE, ...filterVariables() };
  const after = page.cursors[page.cursors.length - 1];
  if (after !== null) variables.after = after;
  if (page.filters.keyword !== '') variables.keyword = page.filters.keyword;
  const data = await graphql(registriesQuery(type), variables);
  return data.geoNode ?? null;
}

async function updateRegistry(registry, action) {
  try {
    const data = await graphql(UPDATE_MUTATION, { registryId: registry.id, action });
    const errors = data.geoRegistriesUpdate?.errors ?? [];
    const what = `Registry ${gidNumber(registry.id) ?? registry.id} (record ${registry.modelRecordId ?? '?'})`;
    if (errors.length > 0) showNotice('error', `${what}: ${action === 'RESYNC' ? 'resync' : 'reverify'} failed`, errors);
    else showNotice('success', `${what} scheduled for ${action === 'RESYNC' ? 'resync' : 'reverification'}.`);
  } catch (error) {
    handleError(error);
  }
  watchClosely();
}

async function bulkUpdate(action) {
  const type = currentType();
  try {
    const data = await graphql(BULK_MUTATION, { registryClass: type.registryClass, action, ...filterVariables() });
    const errors = data.geoRegistriesBulkUpdate?.errors ?? [];
    const verb = action === 'RESYNC_ALL' ? 'resync' : 'reverification';
    if (errors.length > 0) showNotice('error', `Scheduling every ${type.title.one} registry for ${verb} failed`, errors);
    else showNotice('success', `Every ${type.title.one} registry matching the filters is scheduled for ${verb}.`);
  } catch (error) {
    handleError(error);
  }
  watchClosely();
}

/** A bulk button acts on the second click within CONFIRM_MS (the first one asks). */
function confirmable(button, label, action) {
  let armedUntil = 0;
  button.addEventListener('click', () => {
    if (Date.now() > armedUntil) {
      armedUntil = Date.now() + CONFIRM_MS;
      button.textContent = 'Click again to confirm';
      button.classList.add('armed');
      setTimeout(() => {
        if (Date.now() >= armedUntil) {
          button.textContent = label;
          button.classList.remove('armed');
        }
      }, CONFIRM_MS);
      return;
    }
    armedUntil = 0;
    button.textContent = label;
    button.classList.remove('armed');
    void bulkUpdate(action);
  });
}

// ---------------------------------------------------------------- refresh loop

function handleError(error) {
  if (error instanceof AuthError) {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenForm();
    showNotice('error', error.status === 403
      ? 'This token belongs to a user without administrator rights (403 Forbidden). Enter an administrator\'s token.'
      : 'The token was not accepted (401 Unauthorized). Enter a valid administrator token.');
    return;
  }
  showNotice('error', error instanceof Error ? error.message : String(error));
}

function showTokenForm() {
  $('token-section').hidden = false;
  $('sites-section').hidden = true;
  $('registries-section').hidden = true;
  $('registries-elsewhere').hidden = true;
  $('sign-out').hidden = true;
  $('session-actions').hidden = true;
  $('current-site').textContent = '';
  $('token-input').focus();
}

/** GET that answers undefined for a 404 (a site that does not serve that API). */
async function optional(path) {
  try {
    return await request(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

async function refresh() {
  if (token() === '') {
    showTokenForm();
    return;
  }
  if (page.refreshing) {
    // A filter or page change during a refresh: run again once this one is done.
    page.again = true;
    return;
  }
  page.refreshing = true;
  try {
    if (page.types.length === 0) await loadTypes();
    // Every site serves the site list (a secondary reads the primary's); an older secondary answers 404.
    const [statuses, sites] = await Promise.all([request('/api/v4/geo_sites/status?per_page=100'), optional('/api/v4/geo_sites')]);
    let node = null;
    let registriesError = null;
    try {
      node = await loadRegistries();
    } catch (error) {
      if (error instanceof AuthError) throw error;
      registriesError = error;
    }
    $('token-section').hidden = true;
    $('sign-out').hidden = false;
    $('session-actions').hidden = false;
    renderSites(sites, Array.isArray(statuses) ? statuses : [], node);
    const currentIsPrimary = node?.primary ?? (Array.isArray(sites) ? sites.find((s) => s.current)?.primary ?? true : false);
    page.tracksRegistries = !currentIsPrimary;
    $('registries-section').hidden = currentIsPrimary;
    $('registries-elsewhere').hidden = !currentIsPrimary;
    $('registries-elsewhere').textContent = currentIsPrimary ? 'Registries are tracked by secondary sites: open /admin/geo on a secondary site\'s gateway to list, resync and reverify them.' : '';
    if (registriesError !== null) {
      renderRegistries(null);
      showNotice('error', `The registry list could not be loaded: ${registriesError.message}`);
    } else if (!currentIsPrimary) {
      renderRegistries(node?.registries ?? null);
      // GraphQL answers a caller without the admin right with `geoNode: null` rather than an error.
      if (node === null) showNotice('error', 'GraphQL returned no geoNode for this site: is the token an administrator\'s?');
    }
    document.body.dataset.loaded = String(Date.now());
  } catch (error) {
    handleError(error);
  } finally {
    page.refreshing = false;
    const again = page.again;
    page.again = false;
    scheduleRefresh(again ? 0 : undefined);
  }
}

async function loadTypes() {
  const res = await fetch('/admin/geo/replicables.json');
  if (!res.ok) throw new ApiError(`/admin/geo/replicables.json answered ${res.status}`, res.status);
  page.types = await res.json();
  const select = $('filter-type');
  select.replaceChildren(...page.types.map((t, i) => el('option', { value: String(i) }, t.title.many)));
  select.disabled = page.types.length < 2;
}

function scheduleRefresh(delay) {
  clearTimeout(page.timer);
  if (token() === '') return;
  const auto = $('auto-refresh').checked;
  const fast = Date.now() < page.fastUntil;
  if (delay === undefined && !auto && !fast) return;
  page.timer = setTimeout(() => void refresh(), delay ?? (fast ? FAST_REFRESH_MS : REFRESH_MS));
}

/** After an action: refresh now and every second for a while, to show its effect. */
function watchClosely() {
  page.fastUntil = Date.now() + FAST_REFRESH_FOR_MS;
  scheduleRefresh(200);
}

function resetPaging() {
  page.cursors = [null];
}

function start() {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token-input').value.trim();
    if (value === '') return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $('token-input').value = '';
    clearNotice();
    void refresh();
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(page.timer);
    clearNotice();
    showTokenForm();
  });
  $('refresh').addEventListener('click', () => void refresh());
  $('auto-refresh').addEventListener('change', () => scheduleRefresh());
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    page.filters.keyword = $('filter-keyword').value.trim();
    resetPaging();
    void refresh();
  });
  for (const [id, key] of [['filter-state', 'state'], ['filter-verification', 'verification']]) {
    $(id).addEventListener('change', () => {
      page.filters[key] = $(id).value;
      resetPaging();
      void refresh();
    });
  }
  $('filter-type').addEventListener('change', () => {
    page.typeIndex = Number($('filter-type').value);
    resetPaging();
    void refresh();
  });
  $('page-next').addEventListener('click', () => {
    const cursor = page.pageInfo?.endCursor;
    if (!cursor) return;
    page.cursors.push(cursor);
    void refresh();
  });
  $('page-prev').addEventListener('click', () => {
    if (page.cursors.length <= 1) return;
    page.cursors.pop();
    void refresh();
  });
  confirmable($('bulk-resync'), 'Resync all', 'RESYNC_ALL');
  confirmable($('bulk-reverify'), 'Reverify all', 'REVERIFY_ALL');
  void refresh();
}

start();
