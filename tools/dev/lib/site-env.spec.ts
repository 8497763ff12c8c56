import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitRevision, siteEnv } from './site-env';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('gitRevision (GEO_REVISION of the dev sites)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'geo-rev-'));
    mkdirSync(join(root, '.git', 'refs', 'heads'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it.each<[string, Record<string, string>, string | undefined]>([
    ['a loose branch ref', { HEAD: 'ref: refs/heads/main\n', 'refs/heads/main': `${SHA}\n` }, '0123456789a'],
    ['a packed branch ref', { HEAD: 'ref: refs/heads/main\n', 'packed-refs': `# pack-refs with: peeled\n${SHA} refs/heads/main\n` }, '0123456789a'],
    ['a detached HEAD', { HEAD: `${SHA}\n` }, '0123456789a'],
    ['a ref that does not exist', { HEAD: 'ref: refs/heads/gone\n' }, undefined],
    ['no checkout', {}, undefined],
  ])('%s', (_label, files, expected) => {
    for (const [path, text] of Object.entries(files)) writeFileSync(join(root, '.git', path), text);
    if (Object.keys(files).length === 0) rmSync(join(root, '.git'), { recursive: true });
    expect(gitRevision(root)).toBe(expected);
  });
});

describe('siteEnv', () => {
  const input = { name: 's', role: 'primary', databaseUrl: 'postgres://x/y', natsUrl: 'nats://x:4222', blobRoot: '/b', adminToken: 't'.repeat(20), httpPort: 1, retrieveHttpPort: 2, grpcPorts: {} } as const;

  it("gives the apps this checkout's revision unless the environment sets one", () => {
    expect(siteEnv(input)['GEO_REVISION']).toBe(process.env['GEO_REVISION'] ?? gitRevision());
  });

  it('lets the caller set it', () => {
    expect(siteEnv({ ...input, extra: { GEO_REVISION: 'given' } })['GEO_REVISION']).toBe('given');
  });
});
