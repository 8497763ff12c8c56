import { ErrorCodes, GeoError, ValidationError } from '@geo/domain';

/** GitLab's `default_max_page_size`: the page size without `first`/`last`, and the most a page holds. */
export const MAX_PAGE_SIZE = 100;

/** Relay connection arguments as a client sends them; GitLab's views send `""` for an unused cursor. */
export interface ConnectionArgs {
  readonly first?: number | null;
  readonly last?: number | null;
  readonly after?: string | null;
  readonly before?: string | null;
}

/** One `ListRegistries` call answering the arguments. */
export interface PageRequest {
  /** `last`/`before`: the rows just before `pageToken` (the last rows without it). */
  readonly backward: boolean;
  /** Rows to show (0..MAX_PAGE_SIZE). */
  readonly take: number;
  /** Rows to ask the RPC for: at least 1 (0 means "server default" on the wire). */
  readonly pageSize: number;
  readonly pageToken: string;
  /** A cursor was given: GitLab then reports a page on its far side. */
  readonly fromCursor: boolean;
}

/** What the RPC answered, reduced to what the connection needs. */
export interface PageAnswer<T> {
  readonly rows: readonly T[];
  /** One cursor per row. */
  readonly rowTokens: readonly string[];
  /** Non-empty when more rows follow in the paging direction. */
  readonly nextPageToken: string;
}

export interface PageInfo {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

export interface Page<T> {
  readonly edges: readonly { readonly cursor: string; readonly node: T }[];
  readonly nodes: readonly T[];
  readonly pageInfo: PageInfo;
}

const given = (cursor: string | null | undefined): cursor is string => cursor !== undefined && cursor !== null && cursor !== '';

function size(name: 'first' | 'last', value: number | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < 0) throw new ValidationError(`${name} must be a non-negative integer, got ${value}`);
  // GitLab caps silently: limit_value = [first, last, max_page_size].min.
  return Math.min(value, MAX_PAGE_SIZE);
}

/**
 * Maps Relay arguments onto one keyset page: `first`/`after` page forward, `last`/`before` page
 * backward. Mixing the two directions (which would need a window bounded on both sides) is refused
 * rather than answered approximately.
 */
export function toPageRequest(args: ConnectionArgs): PageRequest {
  const first = size('first', args.first);
  const last = size('last', args.last);
  const after = given(args.after) ? args.after : undefined;
  const before = given(args.before) ? args.before : undefined;
  if (first !== undefined && last !== undefined) throw new ValidationError('first and last cannot be combined');
  if (after !== undefined && before !== undefined) throw new ValidationError('after and before cannot be combined');
  const backward = last !== undefined || before !== undefined;
  if (backward && (first !== undefined || after !== undefined)) {
    throw new ValidationError('page forward with first/after or backward with last/before, not both');
  }
  const take = (backward ? last : first) ?? MAX_PAGE_SIZE;
  const token = (backward ? before : after) ?? '';
  return { backward, take, pageSize: Math.max(take, 1), pageToken: token, fromCursor: token !== '' };
}

/**
 * The connection for one page, with GitLab's keyset `pageInfo` rules: paging forward,
 * `hasNextPage` says whether rows follow and `hasPreviousPage` is true exactly when `after` was
 * given; paging backward, the mirror image.
 */
export function toPage<T>(request: PageRequest, answer: PageAnswer<T>): Page<T> {
  if (answer.rowTokens.length !== answer.rows.length) throw new GeoError(ErrorCodes.INTERNAL, 'registry app broke the contract: one row token per row expected');
  // With `take` 0 the RPC was asked for one row only to learn whether any exist.
  const keep = Math.min(request.take, answer.rows.length);
  const start = request.backward ? answer.rows.length - keep : 0;
  const nodes = answer.rows.slice(start, start + keep);
  const cursors = answer.rowTokens.slice(start, start + keep);
  const more = answer.nextPageToken !== '' || keep < answer.rows.length;
  const edges = nodes.map((node, i) => ({ cursor: cursors[i] ?? '', node }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: request.backward ? request.fromCursor : more,
      hasPreviousPage: request.backward ? more : request.fromCursor,
      startCursor: cursors[0] ?? null,
      endCursor: cursors[cursors.length - 1] ?? null,
    },
  };
}

/** The connection of a node whose registries cannot be read here (another node, or a primary). */
export function emptyPage<T>(): Page<T> {
  return { edges: [], nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
}
