import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace's package.json: the image copies it next to apps/ and libs/ (Dockerfile). */
const PACKAGE_JSON = join(__dirname, '..', '..', '..', 'package.json');

/**
 * GeoNodeStatus `version`: the workspace's release version (`package.json`), read once at start.
 * `revision` comes from the environment (`GEO_REVISION`, set at image build time), since a running
 * service has no git checkout to ask.
 */
export function releaseVersion(path = PACKAGE_JSON): string {
  const { version } = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
  return typeof version === 'string' && version !== '' ? version : 'unknown';
}
