import { ValidationError } from '@geo/domain';
import { parseId } from './route-params';

describe('parseId', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    [7, 7],
    ['9007199254740991', 9007199254740991],
  ])('accepts %j', (value, expected) => {
    expect(parseId(value, 'id')).toBe(expected);
  });

  it.each(['0', '-1', '01', '1.5', '1e3', ' 1', 'abc', '', '9007199254740993', '99999999999999999', 0, 1.5, undefined, null])('rejects %j with "<name> is invalid"', (value) => {
    expect(() => parseId(value, 'project id')).toThrow(new ValidationError('project id is invalid'));
  });
});
