import { ValidationError } from '@geo/domain';
import { REGISTRY_SORTS, type RegistryListSort, type RegistryPageCursor } from '@geo/pg';

interface TokenJson {
  /** Sort the token was issued for: a token is only valid with the same sort. */
  readonly s: string;
  readonly v: string | null;
  readonly i: number;
}

/** `ListRegistries` page token: the keyset position, opaque to clients (base64url JSON). */
export function encodePageToken(sort: RegistryListSort, cursor: RegistryPageCursor): string {
  const json: TokenJson = { s: sort, v: cursor.value, i: cursor.id };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** Undefined for an empty token (first page); a malformed token or one of another sort is INVALID_ARGUMENT. */
export function decodePageToken(token: string, sort: RegistryListSort): RegistryPageCursor | undefined {
  if (token === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    throw new ValidationError('invalid page_token', { cause: error });
  }
  const t = json as Partial<TokenJson> | null;
  if (
    t === null ||
    typeof t !== 'object' ||
    typeof t.s !== 'string' ||
    !(REGISTRY_SORTS as readonly string[]).includes(t.s) ||
    !(t.v === null || typeof t.v === 'string') ||
    typeof t.i !== 'number' ||
    !Number.isSafeInteger(t.i) ||
    t.i <= 0
  ) {
    throw new ValidationError('invalid page_token');
  }
  if (t.s !== sort) throw new ValidationError(`page_token was issued for sort ${t.s}, not ${sort}`);
  return { value: t.v, id: t.i };
}
