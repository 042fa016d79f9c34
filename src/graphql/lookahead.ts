// Look-ahead: what a query selects below a field, so a list resolver can fetch in one statement
// the nested lists (and only the columns) the query will read (see listIncidents).
// Aliases are merged (a field asked twice under two names is one field here), fragments are
// followed, and a field under @skip/@include counts as selected: fetching something nobody reads
// costs a little, while leaving out something read is what must never happen.
import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** The fields selected directly under `parents`, by field name (not alias). */
export function childFields(info: GraphQLResolveInfo, parents: readonly FieldNode[]): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  const visit = (set: SelectionSetNode | undefined, seen: Set<string>) => {
    if (!set) return;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const list = out.get(name);
        if (list) list.push(selection);
        else out.set(name, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        visit(info.fragments[selection.name.value]?.selectionSet, seen);
      }
    }
  };
  for (const parent of parents) visit(parent.selectionSet, new Set());
  return out;
}

/**
 * For connection fields: the node fields (`nodes`, and `node` under `edges`), whose selections
 * say what is read of each node. Anything else on a connection (totalCount, pageInfo, cursors)
 * reads nothing of the node rows beyond what the list itself keeps.
 */
export function connectionNodes(info: GraphQLResolveInfo, connections: readonly FieldNode[]): FieldNode[] {
  const fields = childFields(info, connections);
  return [...(fields.get('nodes') ?? []), ...(childFields(info, fields.get('edges') ?? []).get('node') ?? [])];
}
