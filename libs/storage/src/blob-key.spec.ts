import { ErrorCodes } from '@geo/domain';
import { validateBlobKey, validateBlobPrefix, MAX_BLOB_KEY_BYTES } from './blob-key';

/** What `fn` threw, as `{ name, code }`, or `null` when it returned. */
function thrown(fn: () => unknown): { name: unknown; code: unknown } | null {
  try {
    fn();
    return null;
  } catch (error) {
    const { name, code } = error as { name?: unknown; code?: unknown };
    return { name, code };
  }
}

describe('validateBlobKey', () => {
  it.each([
    'a',
    'ab/cd/0123abcd/sym.pdb',
    '@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b/packages/nuget/1/symbols/x.pdb',
    'dots.in.name/..hidden/...',
    'ünïcödé/名前',
    'k'.repeat(MAX_BLOB_KEY_BYTES),
  ])('accepts %j', (key) => {
    expect(validateBlobKey(key)).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['dot', '.'],
    ['dotdot', '..'],
    ['parent traversal', '../x'],
    ['inner traversal', 'a/../b'],
    ['trailing traversal', 'a/..'],
    ['dot segment', 'a/./b'],
    ['absolute', '/abs'],
    ['empty segment', 'a//b'],
    ['trailing slash', 'a/'],
    ['backslash', 'a\\b'],
    ['windows traversal', '..\\x'],
    ['NUL', 'a\u0000b'],
    ['tab', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['reserved temp prefix', 'dir/tmp_abc'],
    ['too long (bytes, not chars)', 'é'.repeat(MAX_BLOB_KEY_BYTES / 2 + 1)],
  ])('rejects %s', (_label, key) => {
    expect(thrown(() => validateBlobKey(key))).toEqual({ name: 'ValidationError', code: ErrorCodes.INVALID_BLOB_KEY });
  });
});

describe('validateBlobPrefix', () => {
  it.each(['', 'a', 'a/', 'a/b', 'a/b-', 'a/.', 'a/tmp_'])('accepts %j', (prefix) => {
    expect(validateBlobPrefix(prefix)).toBe(prefix);
  });

  it.each(['/a', '../', 'a/../b', 'a//b', 'a\\b', '..', 'a/./b', 'a\u0000'])('rejects %j', (prefix) => {
    expect(thrown(() => validateBlobPrefix(prefix))).toEqual({ name: 'ValidationError', code: ErrorCodes.INVALID_BLOB_KEY });
  });
});
