import { ErrorCodes, isGeoError } from '@geo/domain';
import { DEFAULT_REPOSITORY_STORAGE, validateId, validateName, validatePath, validateRepositoryStorage } from './names';

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error: unknown) {
    if (isGeoError(error) && error.code === ErrorCodes.INVALID_ARGUMENT) return error.message;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('validatePath', () => {
  it.each(['acme', 'Acme-Platform', 'a', '_x', '.hidden', 'v1.2_3-x', 'a'.repeat(255)])('accepts %j', (path) => {
    expect(validatePath(path)).toBe(path);
  });
  it.each([
    ['', "path can't be blank"],
    ['a'.repeat(256), 'path is too long (maximum is 255 characters)'],
    ['-lead', 'path can contain only'],
    ['trail.', 'path can contain only'],
    ['with space', 'path can contain only'],
    ['slash/inside', 'path can contain only'],
    ['..', 'path can contain only'],
    ['ünïcode', 'path can contain only'],
    ['repo.git', "path cannot end in '.git' or '.atom'"],
    ['feed.ATOM', "path cannot end in '.git' or '.atom'"],
  ])('rejects %j', (path, message) => {
    expect(rejection(() => validatePath(path))).toContain(message);
  });
});

describe('validateName', () => {
  it('trims and accepts printable text', () => {
    expect(validateName('  Acme Platform (EU) ')).toBe('Acme Platform (EU)');
    expect(validateName('Ünïcode ✓')).toBe('Ünïcode ✓');
  });
  it.each([
    ['   ', "name can't be blank"],
    ['x'.repeat(256), 'name is too long'],
    ['tab\there', 'name cannot contain control characters'],
  ])('rejects %j', (name, message) => {
    expect(rejection(() => validateName(name))).toContain(message);
  });
});

describe('validateRepositoryStorage / validateId', () => {
  it('defaults an empty shard to default and validates others as paths', () => {
    expect(validateRepositoryStorage('')).toBe(DEFAULT_REPOSITORY_STORAGE);
    expect(validateRepositoryStorage('shard-2')).toBe('shard-2');
    expect(rejection(() => validateRepositoryStorage('bad shard'))).toContain('repository_storage can contain only');
  });
  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN])('rejects id %p', (id) => {
    expect(rejection(() => validateId(id, 'parent_id'))).toBe('parent_id must be a positive integer');
  });
  it('accepts a positive integer id', () => {
    expect(validateId(42, 'id')).toBe(42);
  });
});
