import { ValidationError } from '@geo/domain';
import { z } from 'zod';

/** Field messages in GitLab's API wording (Grape: "name is missing", "url is invalid"). */
export const FIELD_MESSAGES = {
  missing: 'is missing',
  invalid: 'is invalid',
  blank: "can't be blank",
  unknown: 'is not a known parameter',
} as const;

/** zod `error` option giving GitLab's "is missing" for absent fields and "is invalid" for wrong types. */
export const missingOrInvalid = (issue: { readonly input: unknown }): string => (issue.input === undefined ? FIELD_MESSAGES.missing : FIELD_MESSAGES.invalid);

/** A required, trimmed, non-blank string of at most `max` characters (GitLab's varchar(255) columns). */
export function requiredText(max = 255) {
  return z
    .string({ error: missingOrInvalid })
    .trim()
    .min(1, FIELD_MESSAGES.blank)
    .max(max, `is too long (maximum is ${max} characters)`);
}

/** A whole number within PostgreSQL `integer` range, at least `min`. */
export function integerAtLeast(min: number) {
  return z
    .int({ error: missingOrInvalid })
    .min(min, `must be greater than or equal to ${min}`)
    .max(2_147_483_647, 'must be less than or equal to 2147483647');
}

/** A positive id (PostgreSQL `bigint`, within JavaScript's safe range). */
export const positiveId = z.int({ error: missingOrInvalid }).min(1, FIELD_MESSAGES.invalid).max(Number.MAX_SAFE_INTEGER, FIELD_MESSAGES.invalid);

/**
 * Validates a JSON request body (absent = `{}`). Failures become one ValidationError (400) whose
 * message lists every problem ("url is invalid, files_max_capacity must be greater than or equal
 * to 0") and whose `fieldErrors` detail carries them per field, GitLab style. Unknown fields are
 * rejected rather than ignored: a typo in an admin request must not silently do nothing.
 */
export function parseJsonBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const fieldErrors: Record<string, string[]> = {};
  const add = (field: string, message: string): void => {
    (fieldErrors[field] ??= []).push(message);
  };
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) add(key, FIELD_MESSAGES.unknown);
    else add(issue.path.length === 0 ? 'body' : issue.path.map(String).join('.'), issue.path.length === 0 ? 'must be a JSON object' : issue.message);
  }
  const message = Object.entries(fieldErrors)
    .flatMap(([field, messages]) => messages.map((m) => `${field} ${m}`))
    .join(', ');
  throw new ValidationError(message, { details: { fieldErrors } });
}
