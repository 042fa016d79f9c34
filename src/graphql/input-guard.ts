// One guard for text no argument may carry: a NUL character (U+0000). PostgreSQL cannot store it
// in text (and refuses it as a parameter), so it would surface as an internal error deep in a
// resolver, or a half-done request. Every argument of every field of the operation that runs is
// checked here, before any resolver: literals and variables alike, inside input objects and lists,
// on every transport (an envelop execute/subscribe hook: HTTP, SSE and graphql-ws), whatever runs
// the operation afterwards (graphql-js or graphql-jit). The error names the argument path, e.g.
// `input.alerts[0].title`.
import type { Plugin } from '@envelop/core';
import {
  getArgumentValues,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isInputObjectType,
  isListType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

const NUL = '\u0000';

/** Does any string anywhere in this JSON-like value contain a NUL? */
function anyNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (value === null || typeof value !== 'object' || depth > 100) return false;
  if (Array.isArray(value)) return value.some((v) => anyNul(v, depth + 1));
  for (const [k, v] of Object.entries(value)) if (k.includes(NUL) || anyNul(v, depth + 1)) return true;
  return false;
}

// Whether a parsed document holds a string literal with a NUL (the lexer only lets one in as the
// escape \u0000), computed once per document: yoga hands back the same parsed document per text.
const literalNul = new WeakMap<DocumentNode, boolean>();
function documentHasNul(document: DocumentNode): boolean {
  let found = literalNul.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      StringValue(node) {
        if (node.value.includes(NUL)) found = true;
      },
    });
    literalNul.set(document, found);
  }
  return found;
}

export interface NulAt {
  /** The field that takes the argument, e.g. "ingestIncident". */
  field: string;
  /** Path inside the argument, e.g. ["input", "alerts", "0", "title"]. */
  path: string[];
}

/** "input.alerts[0].title" */
export function formatPath(path: readonly string[]): string {
  return path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

type Coerced = ReturnType<typeof getVariableValues>;
// The cost limit and this guard both coerce the request's variables: once per request (keyed by
// the variables object execution receives, and the operation).
const coercions = new WeakMap<object, WeakMap<OperationDefinitionNode, Coerced>>();

/** The operation's variables coerced as graphql-js executes them: defaults applied, or the errors. */
export function coerceVariables(schema: GraphQLSchema, op: OperationDefinitionNode, variableValues: unknown): Coerced {
  const raw = (variableValues ?? {}) as Record<string, unknown>;
  let byOp = coercions.get(raw);
  const cached = byOp?.get(op);
  if (cached) return cached;
  const result = getVariableValues(schema, op.variableDefinitions ?? [], raw);
  if (!byOp) coercions.set(raw, (byOp = new WeakMap()));
  byOp.set(op, result);
  return result;
}

/** The first argument value (coerced as execution will) holding a NUL, or null. */
export function findNul(args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>): NulAt | null {
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  // the common case: nothing to look for, no walk
  if (!anyNul(variables) && !documentHasNul(args.document)) return null;
  const op = getOperationAST(args.document, args.operationName);
  if (!op) return null;
  const coerced = coerceVariables(args.schema, op, args.variableValues);
  // variables that do not coerce are refused by execution with its own error
  if (coerced.errors) return null;
  const values = coerced.coerced;
  let found: NulAt | null = null;
  const roots: ASTNode[] = [op, ...args.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)];
  for (const root of roots) {
    const typeInfo = new TypeInfo(args.schema);
    visit(
      root,
      visitWithTypeInfo(typeInfo, {
        Field(node: FieldNode) {
          if (found) return false;
          const def = typeInfo.getFieldDef();
          if (!def || !node.arguments?.length) return undefined;
          let argValues: Record<string, unknown>;
          try {
            argValues = getArgumentValues(def, node, values);
          } catch {
            return undefined; // a value execution will refuse anyway
          }
          for (const arg of def.args) {
            if (!(arg.name in argValues)) continue;
            const path = walk(argValues[arg.name], arg.type, [arg.name]);
            if (path) {
              found = { field: def.name, path };
              return false;
            }
          }
          return undefined;
        },
      }),
    );
    if (found) break;
  }
  return found;
}

function walk(value: unknown, type: GraphQLInputType, path: string[]): string[] | null {
  if (value === null || value === undefined) return null;
  const t = getNullableType(type) as GraphQLInputType;
  if (isListType(t)) {
    if (!Array.isArray(value)) return walk(value, t.ofType, path);
    for (let i = 0; i < value.length; i++) {
      const p = walk(value[i], t.ofType, [...path, String(i)]);
      if (p) return p;
    }
    return null;
  }
  if (isInputObjectType(t)) {
    const fields = t.getFields();
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      const f = fields[name];
      const p = f ? walk(v, f.type, [...path, name]) : anyNul(v) ? [...path, name] : null;
      if (p) return p;
    }
    return null;
  }
  // scalars (String, ID and custom ones alike) and enums
  return anyNul(value) ? path : null;
}

export function nulError(at: NulAt): GraphQLError {
  const where = formatPath(at.path);
  return new GraphQLError(`Argument ${where} of ${at.field} must not contain a NUL character (\\u0000)`, {
    extensions: { code: 'BAD_USER_INPUT', argument: at.path[0], field: at.path },
  });
}

/**
 * Variables that do not coerce, reported as graphql-js words it, with the path inside the variable
 * (`Variable "$f" got invalid value "2026-02-30" at "f.createdAfter"; ...`): graphql-jit, which
 * runs queries and mutations, names only the innermost field.
 */
function variableErrors(args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>): GraphQLError[] | null {
  const op = getOperationAST(args.document, args.operationName);
  if (!op?.variableDefinitions?.length) return null;
  const coerced = coerceVariables(args.schema, op, args.variableValues);
  if (!coerced.errors) return null;
  return coerced.errors.map(
    (e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { ...e.extensions, code: 'BAD_USER_INPUT' } }),
  );
}

export function inputErrors(args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>): GraphQLError[] | null {
  const invalid = variableErrors(args);
  if (invalid) return invalid;
  const at = findNul(args);
  return at ? [nulError(at)] : null;
}

/** The guard, for queries, mutations and subscriptions on every transport. */
export function useInputGuard(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = inputErrors(args);
      if (errors) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = inputErrors(args);
      if (errors) setResultAndStopExecution({ errors });
    },
  };
}

