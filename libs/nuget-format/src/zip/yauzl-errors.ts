import { type ValidationError } from '@geo/domain';
import { packageRejection } from '../reject';

/**
 * Maps an error raised by yauzl while reading the central directory to a rejection. yauzl only
 * reports messages, so this is the one place that reads them; anything unrecognised still becomes
 * a 400 (`zip.invalid`) carrying yauzl's message, so a changed message degrades the reason, never the
 * status. The mapping is pinned by zip-structure tests in `@geo/testing` (nuget/*.spec.ts).
 */
export function zipStructureRejection(error: unknown): ValidationError {
  const message = error instanceof Error ? error.message : String(error);
  if (/end of central directory record signature not found|unexpected EOF|overflows file bounds/i.test(message)) {
    return packageRejection('zip.truncated', `not a zip archive, or truncated: ${message}`, {}, error);
  }
  if (/size mismatch for stored file/i.test(message)) {
    return packageRejection('zip.size_mismatch', `a stored entry's declared sizes disagree: ${message}`, {}, error);
  }
  if (/strong encryption/i.test(message)) {
    return packageRejection('zip.encrypted', 'an entry uses strong encryption; encrypted entries are not accepted', {}, error);
  }
  return packageRejection('zip.invalid', `corrupt zip archive: ${message}`, {}, error);
}
