import { ErrorCodes, ValidationError } from '@geo/domain';

/** Longest key accepted (S3's own limit is 1024 bytes of UTF-8; we count bytes, too). */
export const MAX_BLOB_KEY_BYTES = 1024;

/**
 * Segment prefix reserved for in-flight writes (the fs driver's `tmp_<store id>_<n>` files). Keys may
 * not use it, so `list()` can hide temp debris without ever hiding a real blob.
 */
export const RESERVED_SEGMENT_PREFIX = 'tmp_';

// C0 controls, DEL and C1 controls: invisible in logs and hostile to shells and file systems.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function reject(key: string, reason: string): never {
  throw new ValidationError(`invalid blob key: ${reason}`, { details: { key: JSON.stringify(key), reason } }, ErrorCodes.INVALID_BLOB_KEY);
}

/** Checks the characters every key and prefix must avoid; returns the `/`-separated segments. */
function checkCommon(key: string): string[] {
  if (Buffer.byteLength(key, 'utf8') > MAX_BLOB_KEY_BYTES) reject(key, `longer than ${MAX_BLOB_KEY_BYTES} bytes`);
  if (CONTROL_CHARS.test(key)) reject(key, 'contains a control character');
  if (key.includes('\\')) reject(key, 'contains a backslash');
  if (key.startsWith('/')) reject(key, 'is absolute');
  return key.split('/');
}

/**
 * Asserts that `key` is a safe relative blob key and returns it unchanged.
 *
 * A valid key is 1..1024 UTF-8 bytes of `/`-separated segments; no segment is empty, `.` or `..`
 * (so the key is already normalised and can never escape the store's root), none starts with
 * the reserved `tmp_`, and there are no backslashes or control characters.
 * Throws `ValidationError` with code `INVALID_BLOB_KEY` otherwise.
 */
export function validateBlobKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) reject(String(key), 'is empty');
  for (const segment of checkCommon(key)) {
    if (segment === '') reject(key, 'has an empty segment');
    if (segment === '.' || segment === '..') reject(key, `has a "${segment}" segment`);
    if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) reject(key, `a segment starts with the reserved "${RESERVED_SEGMENT_PREFIX}"`);
  }
  return key;
}

/**
 * Asserts that `prefix` is a safe `list()` prefix: empty (everything), or a string that could
 * start a valid key. The last segment may be partial or empty (`"a/"`, `"a/b"`, `"a/b-"`).
 */
export function validateBlobPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const segments = checkCommon(prefix);
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '' && !last) reject(prefix, 'has an empty segment');
    if (segment === '..' || (segment === '.' && !last)) reject(prefix, `has a "${segment}" segment`);
  });
  return prefix;
}
