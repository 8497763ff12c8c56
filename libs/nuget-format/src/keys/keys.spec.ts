import { createHash } from 'node:crypto';
import { isGeoError } from '@geo/domain';
import { packageFileObjectStorageKey, symbolObjectStorageKey } from './object-storage-key';
import { portablePdbKey } from './ssqp-key';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** GitLab's documented hashed-storage path for project 1 (doc/administration/repository_storage_paths). */
const PROJECT_1_ROOT = '6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b';
const SIGNATURE = '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('portablePdbKey', () => {
  it('lower-cases file name and GUID and appends ffffffff', () => {
    expect(portablePdbKey('TestData.pdb', '16F71ED8DD574AA2AD4A22D29E9C981B')).toBe(
      'testdata.pdb/16f71ed8dd574aa2ad4a22d29e9c981bffffffff/testdata.pdb',
    );
  });

  it.each([
    ['a path instead of a basename', 'lib/x.pdb', '16f71ed8dd574aa2ad4a22d29e9c981b'],
    ['a backslash', 'lib\\x.pdb', '16f71ed8dd574aa2ad4a22d29e9c981b'],
    ['".."', '..', '16f71ed8dd574aa2ad4a22d29e9c981b'],
    ['an empty name', '', '16f71ed8dd574aa2ad4a22d29e9c981b'],
    ['a short GUID', 'x.pdb', '16f71ed8'],
    ['a non-hex GUID', 'x.pdb', 'z'.repeat(32)],
  ])('rejects %s', (_name, fileName, guid) => {
    expect(isGeoError(thrown(() => portablePdbKey(fileName, guid)))).toBe(true);
  });
});

describe('symbolObjectStorageKey', () => {
  it("is GitLab's object_storage_key plus the stored file name", () => {
    expect(symbolObjectStorageKey({ projectId: 1, packageId: 5, signature: SIGNATURE, fileName: 'testdata.pdb' })).toBe(
      `${PROJECT_1_ROOT}/packages/nuget/5/symbols/${sha256(SIGNATURE)}/testdata.pdb`,
    );
  });

  it('hashes the project id for the root and the signature as stored', () => {
    const key = symbolObjectStorageKey({ projectId: 42, packageId: 7, signature: SIGNATURE, fileName: 'a.pdb' });
    const h = sha256('42');
    expect(key).toBe(`${h.slice(0, 2)}/${h.slice(2, 4)}/${h}/packages/nuget/7/symbols/${sha256(SIGNATURE)}/a.pdb`);
    expect(key).not.toContain(sha256(SIGNATURE.toLowerCase()));
  });

  it.each([
    ['project id 0', { projectId: 0, packageId: 1, signature: SIGNATURE, fileName: 'a.pdb' }],
    ['fractional package id', { projectId: 1, packageId: 1.5, signature: SIGNATURE, fileName: 'a.pdb' }],
    ['traversal in the file name', { projectId: 1, packageId: 1, signature: SIGNATURE, fileName: '../a.pdb' }],
    ['an empty signature', { projectId: 1, packageId: 1, signature: '', fileName: 'a.pdb' }],
  ])('rejects %s', (_name, input) => {
    expect(isGeoError(thrown(() => symbolObjectStorageKey(input)))).toBe(true);
  });
});

describe('packageFileObjectStorageKey', () => {
  it('names the file <id>.<version>.nupkg in lower case under the hashed package path', () => {
    expect(packageFileObjectStorageKey({ projectId: 1, packageId: 5, packageName: 'TestData', version: '1.2.3-Beta' })).toBe(
      `${PROJECT_1_ROOT}/packages/nuget/5/testdata.1.2.3-beta.nupkg`,
    );
  });

  it.each([
    ['a package id with a slash', 'Test/Data', '1.0.0'],
    ['a package id with ..', 'Test..Data', '1.0.0'],
    ['a version with a slash', 'TestData', '1.0/0'],
  ])('rejects %s', (_name, packageName, version) => {
    expect(isGeoError(thrown(() => packageFileObjectStorageKey({ projectId: 1, packageId: 5, packageName, version })))).toBe(true);
  });
});
