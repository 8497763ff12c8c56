import { MAX_ENTRY_NAME_LENGTH } from '../limits';
import { packageRejection } from '../reject';

const UTF8_NAME_FLAG = 0x800;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a raw central-directory name. UTF-8 when the entry says so (general-purpose bit 11);
 * otherwise the name must be plain ASCII. Legacy code-page (CP437) names with high bytes are
 * rejected rather than guessed: NuGet clients write non-ASCII names with the UTF-8 flag, and a
 * name we might decode differently from other readers is exactly what path checks must not meet.
 * The Info-ZIP Unicode Path extra field is ignored for the same reason (yauzl strictFileNames).
 */
export function decodeEntryName(raw: Uint8Array, generalPurposeBitFlag: number): string {
  if ((generalPurposeBitFlag & UTF8_NAME_FLAG) !== 0) {
    try {
      return strictUtf8.decode(raw);
    } catch (cause) {
      throw packageRejection('zip.invalid_name', `an entry name is flagged UTF-8 but is not valid UTF-8 (bytes ${hexPreview(raw)})`, {}, cause);
    }
  }
  if (raw.some((byte) => byte > 0x7f)) {
    throw packageRejection('zip.invalid_name', `an entry name has non-ASCII bytes but no UTF-8 flag (bytes ${hexPreview(raw)}); write names as UTF-8`);
  }
  return Buffer.from(raw).toString('latin1');
}

export interface CheckedEntryName {
  /** The name as stored; directories keep their trailing `/`. */
  readonly name: string;
  readonly isDirectory: boolean;
  /** Key for duplicate detection: NFC-normalised and lower-cased, trailing `/` removed. */
  readonly duplicateKey: string;
}

/**
 * Path rules for an entry name (spec nuget-symbols §7 "Names"). Rejects what could escape an
 * extraction root or alias another entry: empty names, control characters, backslashes, absolute
 * paths and drive letters, `..`, `.` and empty segments, over-long names. Order matters only
 * for which reason a name with several faults reports; the most security-relevant comes first.
 */
export function checkEntryName(name: string): CheckedEntryName {
  if (name.length === 0) throw packageRejection('zip.empty_name', 'an entry has an empty name');
  const shown = JSON.stringify(name);
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw packageRejection('zip.control_char', `entry ${shown} has a control character in its name`, { entry: name });
  }
  if (name.includes('\\')) {
    throw packageRejection('zip.backslash', `entry ${shown} has a backslash in its name; zip paths use "/"`, { entry: name });
  }
  if (name.startsWith('/')) {
    throw packageRejection('zip.absolute_path', `entry ${shown} is an absolute path`, { entry: name });
  }
  if (/^[A-Za-z]:/.test(name)) {
    throw packageRejection('zip.absolute_path', `entry ${shown} starts with a drive letter`, { entry: name });
  }
  const isDirectory = name.endsWith('/');
  const segments = (isDirectory ? name.slice(0, -1) : name).split('/');
  if (segments.includes('..')) {
    throw packageRejection('zip.path_traversal', `entry ${shown} has a ".." segment (path traversal)`, { entry: name });
  }
  if (segments.some((segment) => segment === '' || segment === '.')) {
    throw packageRejection('zip.invalid_name', `entry ${shown} has an empty or "." path segment`, { entry: name });
  }
  if (name.length > MAX_ENTRY_NAME_LENGTH) {
    throw packageRejection('zip.name_too_long', `entry name of ${name.length} characters exceeds the limit of ${MAX_ENTRY_NAME_LENGTH}`, {
      entry: name.slice(0, 64),
    });
  }
  const withoutSlash = isDirectory ? name.slice(0, -1) : name;
  return { name, isDirectory, duplicateKey: withoutSlash.normalize('NFC').toLowerCase() };
}

function hexPreview(raw: Uint8Array): string {
  const hex = Buffer.from(raw.subarray(0, 32)).toString('hex');
  return raw.length > 32 ? `${hex}…` : hex;
}
