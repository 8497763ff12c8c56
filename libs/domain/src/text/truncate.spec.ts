import { FAILURE_TEXT_MAX_LENGTH, failureText, truncate } from './truncate';

const chars = (n: number, c = 'a'): string => c.repeat(n);

describe('truncate (ActiveSupport String#truncate(255))', () => {
  it.each([
    ['empty', '', ''],
    ['254 chars kept', chars(254), chars(254)],
    ['255 chars kept', chars(255), chars(255)],
    ['256 chars → 252 + "..."', chars(256), `${chars(252)}...`],
    ['1000 chars → 252 + "..."', chars(1000), `${chars(252)}...`],
  ])('%s', (_label, input, expected) => {
    const out = truncate(input);
    expect(out).toBe(expected);
    expect(Array.from(out).length).toBeLessThanOrEqual(FAILURE_TEXT_MAX_LENGTH);
  });

  it('counts code points, never splitting a surrogate pair', () => {
    const emoji = '🔪';
    expect(truncate(chars(255, emoji))).toBe(chars(255, emoji));
    expect(truncate(chars(256, emoji))).toBe(`${chars(252, emoji)}...`);
  });

  it('honours a custom length and omission', () => {
    expect(truncate('And they found that many people', 10, '~')).toBe('And they ~');
  });
});

describe('failureText (message + ": " + error, then truncate)', () => {
  it.each([
    ['message only', 'Sync failed', undefined, 'Sync failed'],
    ['with error', 'Error downloading file', 'connection reset', 'Error downloading file: connection reset'],
    ['suffix makes it exactly 255', chars(243), 'abcdefghij', `${chars(243)}: abcdefghij`],
    ['suffix pushes it to 256', chars(244), 'abcdefghij', `${chars(244)}: abcdef...`],
    ['long message and error', chars(300), 'boom', `${chars(252)}...`],
  ])('%s', (_label, message, error, expected) => {
    const out = failureText(message, error);
    expect(out).toBe(expected);
    expect(out.length).toBeLessThanOrEqual(255);
  });
});
