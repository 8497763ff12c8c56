import { ValidationError } from '@geo/domain';

/**
 * GitLab-like rules for namespace and project names and paths (GitLab `Gitlab::PathRegex`,
 * simplified): paths are what URLs and selective sync refer to, so they stay strict ASCII.
 */

export const MAX_NAME_LENGTH = 255;

/**
 * Letters, digits, `_`, `.` and `-`; starts with a letter, digit, `_` or `.`; does not end with `.`;
 * and (as GitLab) does not end in `.git` or `.atom`, which its routes reserve.
 */
const PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const RESERVED_PATH_SUFFIXES = ['.git', '.atom'] as const;

// C0/C1 control characters: invisible in UIs and logs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function invalid(field: string, value: string, rule: string): never {
  throw new ValidationError(`${field} ${rule}`, { details: { field, value: value.slice(0, MAX_NAME_LENGTH + 1) } });
}

/** A namespace or project path (one URL segment). Returns it unchanged. */
export function validatePath(value: string, field = 'path'): string {
  if (value.length === 0) invalid(field, value, "can't be blank");
  if (value.length > MAX_NAME_LENGTH) invalid(field, value, `is too long (maximum is ${MAX_NAME_LENGTH} characters)`);
  if (!PATH.test(value) || value.endsWith('.')) {
    invalid(field, value, 'can contain only letters, digits, \'_\', \'-\' and \'.\'. Cannot start with \'-\' or end in \'.\'');
  }
  const lower = value.toLowerCase();
  if (RESERVED_PATH_SUFFIXES.some((suffix) => lower.endsWith(suffix))) invalid(field, value, "cannot end in '.git' or '.atom'");
  return value;
}

/** A display name: any printable text, trimmed, 1..255 characters. Returns the trimmed name. */
export function validateName(value: string, field = 'name'): string {
  const name = value.trim();
  if (name.length === 0) invalid(field, value, "can't be blank");
  if (Array.from(name).length > MAX_NAME_LENGTH) invalid(field, value, `is too long (maximum is ${MAX_NAME_LENGTH} characters)`);
  if (CONTROL_CHARS.test(name)) invalid(field, value, 'cannot contain control characters');
  return name;
}

export const DEFAULT_REPOSITORY_STORAGE = 'default';

/** A repository shard name (selective sync by shards); empty means `default`. */
export function validateRepositoryStorage(value: string): string {
  if (value === '') return DEFAULT_REPOSITORY_STORAGE;
  return validatePath(value, 'repository_storage');
}

/** A database id received from a caller: a positive safe integer. */
export function validateId(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError(`${field} must be a positive integer`, { details: { field, value } });
  }
  return value;
}
