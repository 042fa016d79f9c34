// Query limits, all checked before any resolver runs (so before any database work):
// depth, aliases and tokens by GraphQL Armor (validation errors), and the cost of the operation
// by graphql-query-complexity with our page-size estimator, because Armor's cost limit counts
// fields without multiplying by page sizes: a query for 100 incidents × 100 alerts each must cost
// what it loads.
//
// The cost is computed in the execute/subscribe hooks (not as a validation rule: yoga caches
// validation per document, and the cost depends on the variables), so it runs for every transport
// that executes through the envelop: GraphQL over HTTP (GET, POST, SSE) and graphql-ws.
import type { Plugin } from '@envelop/core';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import {
  getNamedType,
  getOperationAST,
  GraphQLError,
  Kind,
  type DefinitionNode,
  type DocumentNode,
  type GraphQLSchema,
  type GraphQLType,
  type ValidationContext,
  type ValueNode,
  visit,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../domain/pagination';
import { coerceVariables, useInputGuard } from './input-guard';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxTokens: number;
}

/**
 * Fields the cost walk evaluates at most (every fragment spread counts its fragment again): a
 * document of nested fragments spread many times is refused instead of walked for seconds.
 */
export const MAX_COST_NODES = 20_000;

const badInput = (message: string, argument: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argument, field: [argument] } });

/** A connection or paginated list: it returns a *Connection or takes first/last. */
export function isPaginated(field: { type: GraphQLType; args: readonly { name: string }[] }): boolean {
  return getNamedType(field.type).name.endsWith('Connection') || field.args.some((a) => a.name === 'first' || a.name === 'last');
}

/**
 * Every field costs 1 plus its selection, and the selection counts once per item the field can
 * return: the page size of a connection or paginated list (`first`/`last`, DEFAULT_PAGE_SIZE
 * when neither is given), the number of ids of `nodes(ids:)`. The arguments arrive coerced
 * (literals, variables and variable defaults alike). Page sizes out of range are refused here,
 * before any resolver runs.
 */
const pageSizeEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  let multiplier = 1;
  if (isPaginated(field)) {
    for (const name of ['first', 'last'] as const) {
      const v = args[name] as unknown;
      if (typeof v === 'number' && (!Number.isInteger(v) || v < 0 || v > MAX_PAGE_SIZE)) {
        throw badInput(`"${name}" on ${field.name} must be between 0 and ${MAX_PAGE_SIZE}, got ${String(v)}`, name);
      }
    }
    const first = typeof args.first === 'number' ? args.first : null;
    const last = typeof args.last === 'number' ? args.last : null;
    multiplier = first === null && last === null ? DEFAULT_PAGE_SIZE : Math.max(first ?? 0, last ?? 0);
  }
  // nodes(ids:) loads one object per id: a page of ids, costed like one
  if (Array.isArray(args.ids)) {
    if (args.ids.length > MAX_PAGE_SIZE) {
      throw badInput(`"ids" on ${field.name} takes at most ${MAX_PAGE_SIZE} ids, got ${args.ids.length}`, 'ids');
    }
    multiplier = Math.max(multiplier, args.ids.length);
  }
  return 1 + multiplier * childComplexity;
};

/**
 * The cost of the operation `operationName` of `document` with these (raw, uncoerced) variables:
 * every field 1, times the page size of every connection or paginated list above it. Variables are
 * coerced as execution will (so their defaults apply); when they cannot be coerced the cost is 0
 * and execution refuses them with its own error. Throws a BAD_USER_INPUT GraphQLError for a page
 * size out of range, a QUERY_TOO_COMPLEX one for a document too large to walk.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): number {
  const op = getOperationAST(document, operationName);
  if (!op) return 0; // no such operation: execution says so
  if (coerceVariables(schema, op, variables).errors) return 0;
  // only the operation that runs (and the fragments), so the walk never sees another operation
  const definitions: DefinitionNode[] = [op, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)];
  try {
    return getComplexity({
      schema,
      query: { kind: Kind.DOCUMENT, definitions },
      variables,
      estimators: [pageSizeEstimator],
      maxQueryNodes: MAX_COST_NODES,
    });
  } catch (err) {
    if (err instanceof GraphQLError && !err.extensions?.code) {
      // the walk's own limit (graphql-query-complexity raises it without a code)
      throw new GraphQLError(
        `Query is too complex: more than ${MAX_COST_NODES} fields to cost (counting every spread of a fragment). Spread fewer fragments.`,
        { extensions: { code: 'QUERY_TOO_COMPLEX' } },
      );
    }
    throw err;
  }
}

// The cost of a document depends only on it, the operation and the variables; yoga hands the same
// parsed document back for the same text, so repeated requests (a dashboard polling one query) look
// their cost up instead of walking the document again. A few variable sets per document are kept.
//
// Of the variables, only some can move the cost: those in the arguments the estimator reads
// (first, last, ids) and in directives (@include, @skip); of every other one only whether it is
// null or missing can (a null where the argument may not be null fails the walk). The cache is
// keyed by those alone, so a mutation's input (an ingestion's 40 evidence items) is neither
// serialised for the key nor coerced and walked again by the cost walk on every request: the
// request's variables are coerced once (coerceVariables, shared with the input guard), and when
// they do not coerce the cost is 0 as before, computed but never cached.
const costCache = new WeakMap<DocumentNode, Map<string, number>>();
const COSTS_PER_DOCUMENT = 32;

/** Arguments whose values the estimator reads. */
const COST_ARGUMENTS = new Set(['first', 'last', 'ids']);

/** Names of the variables that can move the cost, anywhere in the document (fragments too). */
const costVariables = new WeakMap<DocumentNode, Set<string>>();
function costVariablesOf(document: DocumentNode): Set<string> {
  let names = costVariables.get(document);
  if (!names) {
    const found = new Set<string>();
    const collect = (node: ValueNode) =>
      visit(node, {
        Variable(v) {
          found.add(v.name.value);
        },
      });
    visit(document, {
      Field(node) {
        for (const arg of node.arguments ?? []) if (COST_ARGUMENTS.has(arg.name.value)) collect(arg.value);
      },
      Directive(node) {
        for (const arg of node.arguments ?? []) collect(arg.value);
      },
    });
    costVariables.set(document, (names = found));
  }
  return names;
}

function cachedCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>) {
  const op = getOperationAST(document, operationName);
  if (!op) return 0; // no such operation: execution says so
  const coerced = coerceVariables(schema, op, variables);
  if (coerced.errors) return 0; // execution refuses them with its own error
  const relevant = costVariablesOf(document);
  const key: unknown[] = [operationName ?? ''];
  for (const def of op.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    const value = coerced.coerced[name];
    key.push(relevant.has(name) ? (value === undefined ? [name] : [name, value]) : value === null ? 0 : value === undefined ? 1 : 2);
  }
  let byVariables = costCache.get(document);
  if (!byVariables) costCache.set(document, (byVariables = new Map()));
  const k = JSON.stringify(key);
  let cost = byVariables.get(k);
  if (cost === undefined) {
    cost = operationCost(schema, document, operationName, variables);
    if (byVariables.size < COSTS_PER_DOCUMENT) byVariables.set(k, cost);
  }
  return cost;
}

export function costError(
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

/** The cost limit, for queries, mutations and subscriptions on every transport. */
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

/**
 * Everything checked before any resolver runs, on every transport: the limits above, and the
 * input guard (no NUL character in any argument, see input-guard.ts).
 */
export function limitPlugins(limits: Limits): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...tooComplex }),
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, ...tooComplex }),
    maxAliasesPlugin({ n: limits.maxAliases, ...tooComplex }),
    useQueryCost(limits.maxCost),
    useInputGuard(),
  ];
}
