import { emptyPage, MAX_PAGE_SIZE, toPage, toPageRequest, type PageRequest } from './pagination';

describe('toPageRequest (Relay arguments -> one keyset page)', () => {
  it.each([
    ['nothing: the first page of 100', {}, { backward: false, take: 100, pageSize: 100, pageToken: '', fromCursor: false }],
    ['first', { first: 20 }, { backward: false, take: 20, pageSize: 20, pageToken: '', fromCursor: false }],
    ['first + after', { first: 20, after: 'T1' }, { backward: false, take: 20, pageSize: 20, pageToken: 'T1', fromCursor: true }],
    ['GitLab view, forward: empty cursors are no cursors', { first: 20, after: '', before: '' }, { backward: false, take: 20, pageSize: 20, pageToken: '', fromCursor: false }],
    ['last: the last rows', { last: 5 }, { backward: true, take: 5, pageSize: 5, pageToken: '', fromCursor: false }],
    ['last + before', { last: 5, before: 'T9' }, { backward: true, take: 5, pageSize: 5, pageToken: 'T9', fromCursor: true }],
    ['GitLab view, backward', { last: 20, before: 'T9', after: '' }, { backward: true, take: 20, pageSize: 20, pageToken: 'T9', fromCursor: true }],
    ['before alone pages backward by 100', { before: 'T9' }, { backward: true, take: 100, pageSize: 100, pageToken: 'T9', fromCursor: true }],
    ['capped at 100 as GitLab does', { first: 5000 }, { backward: false, take: MAX_PAGE_SIZE, pageSize: MAX_PAGE_SIZE, pageToken: '', fromCursor: false }],
    ['first: 0 still asks for a row (to know whether any follow)', { first: 0 }, { backward: false, take: 0, pageSize: 1, pageToken: '', fromCursor: false }],
    ['nulls are absent', { first: null, last: null, after: null, before: null }, { backward: false, take: 100, pageSize: 100, pageToken: '', fromCursor: false }],
  ])('%s', (_what, args, want) => {
    expect(toPageRequest(args)).toEqual(want);
  });

  it.each([
    ['negative first', { first: -1 }, 'first must be a non-negative integer'],
    ['negative last', { last: -3 }, 'last must be a non-negative integer'],
    ['first and last', { first: 1, last: 1 }, 'first and last cannot be combined'],
    ['after and before', { after: 'A', before: 'B' }, 'after and before cannot be combined'],
    ['first with before', { first: 2, before: 'B' }, 'not both'],
    ['last with after', { last: 2, after: 'A' }, 'not both'],
  ])('refuses %s', (_what, args, message) => {
    expect(() => toPageRequest(args)).toThrow(message);
  });
});

describe('toPage (GitLab keyset pageInfo)', () => {
  const rows = ['a', 'b', 'c'];
  const rowTokens = ['Ta', 'Tb', 'Tc'];
  const forward = (extra: Partial<PageRequest> = {}): PageRequest => ({ backward: false, take: 3, pageSize: 3, pageToken: '', fromCursor: false, ...extra });
  const backward = (extra: Partial<PageRequest> = {}): PageRequest => ({ backward: true, take: 3, pageSize: 3, pageToken: '', fromCursor: false, ...extra });

  it('forward, first page with more to come', () => {
    const page = toPage(forward(), { rows, rowTokens, nextPageToken: 'Tc' });
    expect(page.nodes).toEqual(rows);
    expect(page.edges).toEqual([
      { cursor: 'Ta', node: 'a' },
      { cursor: 'Tb', node: 'b' },
      { cursor: 'Tc', node: 'c' },
    ]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: 'Ta', endCursor: 'Tc' });
  });

  it('forward after a cursor, last page: previous yes, next no', () => {
    expect(toPage(forward({ fromCursor: true, pageToken: 'T0' }), { rows, rowTokens, nextPageToken: '' }).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: 'Ta',
      endCursor: 'Tc',
    });
  });

  it('backward: previous tells whether rows come before; next is true before a cursor', () => {
    expect(toPage(backward(), { rows, rowTokens, nextPageToken: 'Ta' }).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(toPage(backward({ fromCursor: true, pageToken: 'Tz' }), { rows, rowTokens, nextPageToken: '' }).pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
    });
  });

  it('take 0: no rows shown, but whether rows exist is still reported', () => {
    const page = toPage(forward({ take: 0, pageSize: 1 }), { rows: ['a'], rowTokens: ['Ta'], nextPageToken: 'Ta' });
    expect(page.nodes).toEqual([]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
    const backwardZero = toPage(backward({ take: 0, pageSize: 1 }), { rows: ['c'], rowTokens: ['Tc'], nextPageToken: '' });
    expect(backwardZero.nodes).toEqual([]);
    expect(backwardZero.pageInfo.hasPreviousPage).toBe(true);
  });

  it('an empty answer', () => {
    expect(toPage(forward(), { rows: [], rowTokens: [], nextPageToken: '' })).toEqual(emptyPage());
  });

  it('a row without its token breaks the contract (INTERNAL)', () => {
    expect(() => toPage(forward(), { rows, rowTokens: ['Ta'], nextPageToken: '' })).toThrow(/one row token per row/);
  });
});
