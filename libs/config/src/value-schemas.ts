import { z } from 'zod';

/**
 * Parsers for raw environment strings. Each turns a string into a typed value or fails with a
 * short reason that `loadConfig` prints next to the variable's name.
 */

export const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

export const port = z
  .string()
  .regex(/^\d{1,5}$/, { error: 'must be an integer port 0-65535 (0 = any free port)' })
  .transform(Number)
  .refine((n) => n <= 65535, { error: 'must be an integer port 0-65535 (0 = any free port)' });

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

export const bool = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true, false, 1 or 0' })
  .transform((v) => v === 'true' || v === '1');

/** A URL whose scheme is one of `schemes` (without the colon). */
export function urlWith(...schemes: [string, ...string[]]) {
  const pattern = new RegExp(`^(${schemes.join('|')})$`);
  return z.url({ protocol: pattern, error: `must be a URL with scheme ${schemes.map((s) => `${s}://`).join(' or ')}` });
}

export const host = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.\-:[\]]+$/, { error: 'must be a host name or IP address' });

/** A positive integer (no sign, no exponent), e.g. a byte limit or a count. */
export const positiveInt = z
  .string()
  .regex(/^\d{1,15}$/, { error: 'must be a positive integer' })
  .transform(Number)
  .refine((n) => n > 0, { error: 'must be a positive integer' });

/** `host:port` for a gRPC channel target (no scheme). */
export const grpcTarget = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, { error: 'must be host:port' });

/** A shared secret token: at least 20 characters, no whitespace. */
export const token = z
  .string()
  .regex(/^\S{20,}$/, { error: 'must be at least 20 characters without whitespace' });

/** Comma-separated `token`s; empty means none. */
export const tokenList = z
  .string()
  .transform((v) => v.split(',').map((t) => t.trim()).filter((t) => t !== ''))
  .refine((tokens) => tokens.every((t) => /^\S{20,}$/.test(t)), { error: 'must be comma-separated tokens of at least 20 characters without whitespace' });
