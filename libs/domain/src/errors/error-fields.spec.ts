import { errorMessage } from './error-fields';

describe('errorMessage', () => {
  it.each([
    ['an Error', new TypeError('x is undefined'), 'x is undefined'],
    // What an Error of another realm looks like from here: not `instanceof Error`, but with a message.
    ['an error-shaped object (another realm)', Object.assign(Object.create(null) as object, { name: 'Error', message: 'aborted' }), 'aborted'],
    ['a string', 'boom', 'boom'],
    ['a non-string message', { message: 42 }, '[object Object]'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
  ])('%s', (_what, error, expected) => {
    expect(errorMessage(error)).toBe(expected);
  });
});
