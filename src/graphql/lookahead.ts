// Look-ahead: which fields of a connection's nodes the query selects, so a list resolver can fetch
// the nested lists it will be asked for in the same statement as the page (see listIncidents).
// A field under @skip/@include counts as selected: fetching a list nobody reads costs a little,
// missing one only means the nested resolver loads it itself (through its DataLoader).
import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

function collect(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, out: FieldNode[], name: string, seen: Set<string>) {
  if (!set) return;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === name) out.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(info, selection.selectionSet, out, name, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      collect(info, info.fragments[selection.name.value]?.selectionSet, out, name, seen);
    }
  }
}

/** The fields named `name` directly under each of `parents` (fragments followed). */
function fieldsNamed(info: GraphQLResolveInfo, parents: readonly FieldNode[], name: string): FieldNode[] {
  const out: FieldNode[] = [];
  for (const parent of parents) collect(info, parent.selectionSet, out, name, new Set());
  return out;
}

/** For a connection field: the names of the node fields selected through `nodes` or `edges.node`. */
export function connectionNodeFields(info: GraphQLResolveInfo): Set<string> {
  const nodes = [
    ...fieldsNamed(info, info.fieldNodes, 'nodes'),
    ...fieldsNamed(info, fieldsNamed(info, info.fieldNodes, 'edges'), 'node'),
  ];
  const names = new Set<string>();
  const add = (set: SelectionSetNode | undefined, seen: Set<string>) => {
    if (!set) return;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) add(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        add(info.fragments[selection.name.value]?.selectionSet, seen);
      }
    }
  };
  for (const node of nodes) add(node.selectionSet, new Set());
  return names;
}
