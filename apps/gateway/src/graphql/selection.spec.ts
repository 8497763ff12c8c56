import { buildSchema, execute, parse, type GraphQLResolveInfo } from 'graphql';
import { selectsField } from './selection';

const schema = buildSchema('type Query { list: Conn } type Conn { count: Int, nodes: [Int] }');

/** Runs `query` and reports whether the `list` resolver saw `count` selected. */
async function sawCount(query: string): Promise<boolean> {
  let seen: boolean | undefined;
  await execute({
    schema,
    document: parse(query),
    rootValue: {
      list: (_args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => {
        seen = selectsField(info, 'count');
        return { count: 1, nodes: [] };
      },
    },
  });
  if (seen === undefined) throw new Error('resolver not called');
  return seen;
}

describe('selectsField', () => {
  it.each([
    ['direct', '{ list { count nodes } }', true],
    ['absent', '{ list { nodes } }', false],
    ['inline fragment', '{ list { ... on Conn { count } } }', true],
    ['named fragment', '{ list { ...F } } fragment F on Conn { count }', true],
    ['fragment without it', '{ list { ...F } } fragment F on Conn { nodes }', false],
    ['under @include (counted as selected)', 'query($c: Boolean = false) { list { count @include(if: $c) } }', true],
  ])('%s', async (_what, query, want) => {
    expect(await sawCount(query)).toBe(want);
  });
});
