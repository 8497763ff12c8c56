/**
 * GitLab stores failure texts in `text` columns with `CHECK (char_length(...) <= 255)` and writes them
 * through ActiveSupport's `String#truncate(255)`: a longer string becomes its first 252 characters
 * followed by "..." (exactly 255 in all); a string of 255 or fewer characters is kept unchanged.
 */
export const FAILURE_TEXT_MAX_LENGTH = 255;

/** ActiveSupport's default `:omission`. */
export const TRUNCATE_OMISSION = '...';

/**
 * `String#truncate(max)` without a separator. Length is counted in Unicode code points, as Ruby's
 * `String#length` and PostgreSQL's `char_length` both do, so a surrogate pair is never split.
 */
export function truncate(text: string, max: number = FAILURE_TEXT_MAX_LENGTH, omission: string = TRUNCATE_OMISSION): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const keep = Math.max(0, max - Array.from(omission).length);
  return chars.slice(0, keep).join('') + omission;
}

/**
 * GitLab's failure-text rule (`failed!` on registries, `verification_failed_with_message!`):
 * the message, then `": " + error.message` when an error is given, truncated to 255 as a whole.
 */
export function failureText(message: string, errorMessage?: string): string {
  return truncate(errorMessage === undefined ? message : `${message}: ${errorMessage}`);
}
