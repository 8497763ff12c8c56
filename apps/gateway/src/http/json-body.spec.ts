import { ValidationError } from '@geo/domain';
import { z } from 'zod';
import { integerAtLeast, parseJsonBody, positiveId, requiredText } from './json-body';

const schema = z.strictObject({ name: requiredText(10), count: integerAtLeast(0).optional(), parent_id: positiveId.nullable().optional() });

function failure(body: unknown): ValidationError {
  try {
    parseJsonBody(schema, body);
  } catch (error: unknown) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseJsonBody', () => {
  it('returns the parsed body (trimmed)', () => {
    expect(parseJsonBody(schema, { name: ' acme ', count: 3, parent_id: null })).toEqual({ name: 'acme', count: 3, parent_id: null });
  });

  it.each([
    [{}, 'name is missing', { name: ['is missing'] }],
    [undefined, 'name is missing', { name: ['is missing'] }],
    [{ name: 5 }, 'name is invalid', { name: ['is invalid'] }],
    [{ name: '   ' }, "name can't be blank", { name: ["can't be blank"] }],
    [{ name: 'x'.repeat(11) }, 'name is too long (maximum is 10 characters)', { name: ['is too long (maximum is 10 characters)'] }],
    [{ name: 'a', count: -1 }, 'count must be greater than or equal to 0', { count: ['must be greater than or equal to 0'] }],
    [{ name: 'a', count: 1.5 }, 'count is invalid', { count: ['is invalid'] }],
    [{ name: 'a', count: 2 ** 31 }, 'count must be less than or equal to 2147483647', { count: ['must be less than or equal to 2147483647'] }],
    [{ name: 'a', parent_id: 0 }, 'parent_id is invalid', { parent_id: ['is invalid'] }],
    [{ name: 'a', nmae: 'typo' }, 'nmae is not a known parameter', { nmae: ['is not a known parameter'] }],
    [[1, 2], 'body must be a JSON object', { body: ['must be a JSON object'] }],
  ])('rejects %j: %s', (body, message, fieldErrors) => {
    const error = failure(body);
    expect(error.message).toBe(message);
    expect(error.details).toEqual({ fieldErrors });
  });

  it('lists every problem at once', () => {
    expect(failure({ count: -1, extra: 1 }).message).toBe('name is missing, count must be greater than or equal to 0, extra is not a known parameter');
  });
});
