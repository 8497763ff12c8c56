import { paginate } from './pagination';

const URL_BASE = new URL('http://gw.example/api/v4/geo_sites/status?x=1');
const ITEMS = Array.from({ length: 45 }, (_, i) => i);

describe('paginate (GitLab offset pagination)', () => {
  it.each([
    ['defaults: page 1 of 20', {}, { first: 0, length: 20, page: '1', next: '2', prev: '', pages: '3', perPage: '20' }],
    ['middle page', { page: '2', per_page: '20' }, { first: 20, length: 20, page: '2', next: '3', prev: '1', pages: '3', perPage: '20' }],
    ['last partial page', { page: '3' }, { first: 40, length: 5, page: '3', next: '', prev: '2', pages: '3', perPage: '20' }],
    ['per_page capped at 100', { per_page: '500' }, { first: 0, length: 45, page: '1', next: '', prev: '', pages: '1', perPage: '100' }],
    ['beyond the end: empty, prev points at the last page', { page: '9' }, { first: undefined, length: 0, page: '9', next: '', prev: '3', pages: '3', perPage: '20' }],
  ])('%s', (_what, query, want) => {
    const { items, headers } = paginate(ITEMS, query, URL_BASE);
    expect(items).toHaveLength(want.length);
    expect(items[0]).toBe(want.first);
    expect(headers).toMatchObject({ 'x-total': '45', 'x-page': want.page, 'x-next-page': want.next, 'x-prev-page': want.prev, 'x-total-pages': want.pages, 'x-per-page': want.perPage });
  });

  it('links keep other query parameters', () => {
    expect(paginate(ITEMS, { page: '2' }, URL_BASE).headers['link']).toBe(
      '<http://gw.example/api/v4/geo_sites/status?x=1&page=1&per_page=20>; rel="prev", ' +
        '<http://gw.example/api/v4/geo_sites/status?x=1&page=3&per_page=20>; rel="next", ' +
        '<http://gw.example/api/v4/geo_sites/status?x=1&page=1&per_page=20>; rel="first", ' +
        '<http://gw.example/api/v4/geo_sites/status?x=1&page=3&per_page=20>; rel="last"',
    );
  });

  it.each([['0'], ['-1'], ['abc'], ['1.5']])('refuses page=%s', (page) => {
    expect(() => paginate(ITEMS, { page }, URL_BASE)).toThrow('page is invalid');
  });
});
