import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

function selects(set: SelectionSetNode | undefined, field: string, fragments: Readonly<Record<string, FragmentDefinitionNode>>, seen: Set<string>): boolean {
  if (set === undefined) return false;
  return set.selections.some((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return selection.name.value === field;
      case Kind.INLINE_FRAGMENT:
        return selects(selection.selectionSet, field, fragments, seen);
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        if (seen.has(name)) return false;
        seen.add(name);
        return selects(fragments[name]?.selectionSet, field, fragments, seen);
      }
    }
    return false;
  });
}

/**
 * Whether the field being resolved selects `field` directly on its result (through fragments
 * too), e.g. a connection's `count`, so a costly part is only computed when asked for. `@include`
 * and `@skip` are not evaluated: a conditionally selected field counts as selected.
 */
export function selectsField(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, field: string): boolean {
  return info.fieldNodes.some((node) => selects(node.selectionSet, field, info.fragments, new Set()));
}
