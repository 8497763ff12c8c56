import { ValidationError } from '@geo/domain';

/**
 * A file name that is safe as the last segment of a key: a basename (no `/` or `\`), not `.` or
 * `..`, no control characters, at most 255 characters. Key parts are data, never paths
 * (spec nuget-symbols §7 "Serving").
 */
export function assertSafeFileName(fileName: string, what = 'file name'): void {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (fileName === '' || fileName === '.' || fileName === '..' || fileName.length > 255 || /[/\\\u0000-\u001f\u007f]/.test(fileName)) {
    throw new ValidationError(`${JSON.stringify(fileName)} is not a valid ${what}`, { details: { field: what } });
  }
}

export function assertPositiveId(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError(`${what} must be a positive integer, got ${value}`, { details: { field: what } });
  }
}
