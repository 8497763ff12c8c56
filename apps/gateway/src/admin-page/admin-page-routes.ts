import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { pageTypesJson, type PageReplicable } from './page-types';

export interface AdminPageRoutesOptions {
  readonly replicables: readonly PageReplicable[];
  /** Where the page's files are; default `static/` beside this module (the source tree: the apps run from source). */
  readonly staticDir?: string;
}

/** The page's URL; its assets live under it. */
export const ADMIN_PAGE_PATH = '/admin/geo';

/** The page's files: a fixed list, so no request path ever reaches the file system. */
const ASSETS = [
  { path: ADMIN_PAGE_PATH, file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: `${ADMIN_PAGE_PATH}/admin-geo.js`, file: 'admin-geo.js', type: 'text/javascript; charset=utf-8' },
  { path: `${ADMIN_PAGE_PATH}/admin-geo.css`, file: 'admin-geo.css', type: 'text/css; charset=utf-8' },
] as const;

/**
 * Nothing but this origin's own files and API: no inline script or style, no other host (the page
 * renders data with `textContent` only; the policy is the second line of defence).
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers({
    'content-security-policy': ADMIN_PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // The files change with a deploy, not with time: revalidate so a new version shows at once.
    'cache-control': 'no-cache',
  });
}

/**
 * `GET /admin/geo`: the Geo admin page (one HTML file, one vanilla ES module, one stylesheet; no
 * build step, nothing fetched off this origin), and `GET /admin/geo/replicables.json`, the catalogue
 * the page renders. Both are static and need no token: the page asks for the admin token and sends
 * it to the admin-only REST and GraphQL APIs, which do the checking. The files are read once here,
 * so a gateway missing them fails at start-up rather than on the first visit.
 */
export async function adminPageRoutes(app: FastifyInstance, options: AdminPageRoutesOptions): Promise<void> {
  const dir = options.staticDir ?? join(__dirname, 'static');
  for (const asset of ASSETS) {
    const body = readFileSync(join(dir, asset.file));
    app.get(asset.path, async (_request, reply) => securityHeaders(reply).type(asset.type).send(body));
  }
  // `/admin/geo/` would otherwise resolve the page's relative asset URLs one level too deep.
  app.get(`${ADMIN_PAGE_PATH}/`, async (_request, reply) => reply.redirect(ADMIN_PAGE_PATH, 308));
  const types = JSON.stringify(pageTypesJson(options.replicables));
  app.get(`${ADMIN_PAGE_PATH}/replicables.json`, async (_request, reply) => securityHeaders(reply).type('application/json; charset=utf-8').send(types));
}
