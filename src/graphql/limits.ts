// Query limits, all checked before any resolver runs (so before any database work):
// depth, aliases and tokens by GraphQL Armor (validation errors), and the cost of the operation
// here, because Armor's cost limit counts fields without multiplying by page sizes: a query
// for 100 incidents × 100 alerts each must cost what it loads.
import type { Plugin } from '@envelop/core';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import {
  getNamedType,
  GraphQLError,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../domain/pagination';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxTokens: number;
}

function argValue(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.NULL) return null;
  if (node.kind === Kind.LIST) return node.values.map((v) => argValue(v, variables));
  return undefined;
}

/** Cost = every field 1, times the page size of every connection or paginated list above it. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  if (!op) return 0;
  const root =
    op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;

  const visit = (set: SelectionSetNode, type: GraphQLNamedType, seen: Set<string>): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments.get(sel.name.value);
        if (!frag || seen.has(frag.name.value)) continue;
        const on = schema.getType(frag.typeCondition.name.value) ?? type;
        cost += visit(frag.selectionSet, on, new Set([...seen, frag.name.value]));
        continue;
      }
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) ?? type) : type;
        cost += visit(sel.selectionSet, on, seen);
        continue;
      }
      if (sel.name.value.startsWith('__')) continue;
      const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : null;
      const def = fields?.[sel.name.value];
      if (!def) continue;
      let multiplier = 1;
      const first = argValue(sel.arguments?.find((a) => a.name.value === 'first')?.value, variables);
      const last = argValue(sel.arguments?.find((a) => a.name.value === 'last')?.value, variables);
      for (const [name, v] of [['first', first], ['last', last]] as const) {
        // (a value of the wrong type is left to variable coercion, which says what type it wants)
        if (typeof v === 'number' && (!Number.isInteger(v) || v < 0 || v > MAX_PAGE_SIZE)) {
          throw new GraphQLError(`"${name}" on ${sel.name.value} must be between 0 and ${MAX_PAGE_SIZE}, got ${String(v)}`, {
            extensions: { code: 'BAD_USER_INPUT', argument: name },
          });
        }
      }
      const named = getNamedType(def.type);
      const size = (v: unknown) => (typeof v === 'number' ? v : 0);
      if (typeof first === 'number' || typeof last === 'number') multiplier = Math.max(size(first), size(last));
      else if (named.name.endsWith('Connection')) multiplier = DEFAULT_PAGE_SIZE;
      // nodes(ids:) loads one object per id: a page of ids, costed like one
      const ids = argValue(sel.arguments?.find((a) => a.name.value === 'ids')?.value, variables);
      if (Array.isArray(ids)) {
        if (ids.length > MAX_PAGE_SIZE) {
          throw new GraphQLError(`"ids" on ${sel.name.value} takes at most ${MAX_PAGE_SIZE} ids, got ${ids.length}`, {
            extensions: { code: 'BAD_USER_INPUT', argument: 'ids' },
          });
        }
        multiplier = Math.max(multiplier, ids.length);
      }
      cost += 1 + (sel.selectionSet ? multiplier * visit(sel.selectionSet, named, seen) : 0);
    }
    return cost;
  };
  return visit(op.selectionSet, root, new Set());
}

// The cost of a document depends only on it, the operation and the variables; yoga hands the same
// parsed document back for the same text, so repeated requests (a dashboard polling one query) look
// their cost up instead of walking the document again. A few variable sets per document are kept.
const costCache = new WeakMap<DocumentNode, Map<string, number>>();
const COSTS_PER_DOCUMENT = 32;

function cachedCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>) {
  let byVariables = costCache.get(document);
  if (!byVariables) costCache.set(document, (byVariables = new Map()));
  const key = `${operationName ?? ''}\u0000${JSON.stringify(variables)}`;
  let cost = byVariables.get(key);
  if (cost === undefined) {
    cost = operationCost(schema, document, operationName, variables);
    if (byVariables.size < COSTS_PER_DOCUMENT) byVariables.set(key, cost);
  }
  return cost;
}

function costError(
  args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: unknown },
  maxCost: number,
): GraphQLError | null {
  try {
    const cost = cachedCost(args.schema, args.document, args.operationName, (args.variableValues ?? {}) as Record<string, unknown>);
    if (cost <= maxCost) return null;
    return new GraphQLError(
      `Query is too complex: cost ${cost} exceeds the limit of ${maxCost}. Ask for smaller pages or fewer nested lists.`,
      { extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost } },
    );
  } catch (err) {
    if (err instanceof GraphQLError) return err;
    throw err;
  }
}

export function useQueryCost(maxCost: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = costError(args, maxCost);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = costError(args, maxCost);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/**
 * Armor throws its depth and alias errors without a code (as "Syntax Error: ..."); report them as
 * validation errors with the QUERY_TOO_COMPLEX code instead, so clients can tell them apart. The
 * token limit runs inside the parser (no validation context), where throwing is the only way out.
 */
const tooComplex = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, err: GraphQLError) => {
      const error = new GraphQLError(err.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'QUERY_TOO_COMPLEX' } });
      if (!context) throw error;
      context.reportError(error);
    },
  ],
};

export function limitPlugins(limits: Limits): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...tooComplex }),
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, ...tooComplex }),
    maxAliasesPlugin({ n: limits.maxAliases, ...tooComplex }),
    useQueryCost(limits.maxCost),
  ];
}
