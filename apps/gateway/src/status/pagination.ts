import { ValidationError } from '@geo/domain';

/** Kaminari's defaults as GitLab's API configures them: 20 per page, at most 100. */
export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 100;

export interface Page<T> {
  readonly items: readonly T[];
  /** GitLab's offset pagination headers (`X-Total`, `X-Page`, …, `Link`). */
  readonly headers: Readonly<Record<string, string>>;
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value) || Number(value) === 0) {
    throw new ValidationError(`${name} is invalid`, { details: { fieldErrors: { [name]: ['is invalid'] } } });
  }
  return Number(value);
}

/**
 * One page of `all` as GitLab's `paginate` renders it: `page`/`per_page` query parameters (per_page
 * capped at 100), `X-Total`, `X-Total-Pages`, `X-Per-Page`, `X-Page`, `X-Next-Page`, `X-Prev-Page`
 * (empty when there is none) and a `Link` header with prev/next/first/last. `url` is the request's
 * absolute URL; its other query parameters are kept in the links.
 */
export function paginate<T>(all: readonly T[], query: { page?: unknown; per_page?: unknown }, url: URL): Page<T> {
  const page = positive(query.page, 'page', 1);
  const perPage = Math.min(positive(query.per_page, 'per_page', DEFAULT_PER_PAGE), MAX_PER_PAGE);
  const totalPages = Math.max(1, Math.ceil(all.length / perPage));
  const link = (p: number): string => {
    const target = new URL(url);
    target.searchParams.set('page', String(p));
    target.searchParams.set('per_page', String(perPage));
    return target.toString();
  };
  const next = page < totalPages ? page + 1 : undefined;
  const prev = page > 1 ? Math.min(page - 1, totalPages) : undefined;
  const links = [
    ...(prev === undefined ? [] : [`<${link(prev)}>; rel="prev"`]),
    ...(next === undefined ? [] : [`<${link(next)}>; rel="next"`]),
    `<${link(1)}>; rel="first"`,
    `<${link(totalPages)}>; rel="last"`,
  ];
  return {
    items: all.slice((page - 1) * perPage, page * perPage),
    headers: {
      'x-total': String(all.length),
      'x-total-pages': String(totalPages),
      'x-per-page': String(perPage),
      'x-page': String(page),
      'x-next-page': next === undefined ? '' : String(next),
      'x-prev-page': prev === undefined ? '' : String(prev),
      link: links.join(', '),
    },
  };
}
