// The queue's fast path: a query that asks only for `incidents { nodes { ... } }` with plain
// fields is answered with the JSON text Postgres builds for it, sent as it comes, without the
// executor, the row objects, JSON.parse and JSON.stringify (bench/README.md: the executor and the
// way rows reach the response were most of the GraphQL server's cost).
//
// It takes a query only when every field it selects is on a short list of fields whose value is a
// column as it is stored (a string, an enum, a number, a boolean, a date) or a global id, read by
// no role-dependent rule: no auth scopes on the field or its type (checked against the built
// schema), no viewer-dependent resolver (viewerCan* hints, masked principals, the tenant object
// and anything else are not on the list). The page itself is listIncidents' very statement
// (listIncidentsJson: same tenant scope, filter, order, cursor and page size); nested lists are
// scoped to their incident's tenant as in listIncidents. Anything else (another field, a fragment,
// a directive, an alias used twice, `viewId`, backward paging, a variable that does not coerce,
// a role the `incidents` policy refuses, no viewer, a database error) goes the normal way, which
// also gives any error its usual form. test/queue-fast-path.test.ts runs queries both ways and
// requires byte-identical responses.
//
// Values are written by Postgres as JSON.stringify writes them: to_json for strings (the same
// escapes), integers and booleans as text, dates as toISOString() does (UTC, milliseconds), ids
// as encodeGlobalId (base64 of "Typename:id"). Object keys are the response names, in selection
// order, as the executor writes them.
import type { Plugin } from '@envelop/core';
import { getTableColumns, type Column, type Table } from 'drizzle-orm';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isEnumType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Params } from '../db/json-rows';
import { alerts, devices, incidents } from '../db/schema';
import { allows } from '../domain/access';
import { pageRequest } from '../domain/pagination';
import { listIncidentsJson } from '../domain/queue';
import type { GraphQLContext } from './context';
import { toDomainFilter } from './incident';

/** `enabled`: off in tests that compare the fast path with the normal one; `served`: answers it gave. */
export const queueFastPath = { enabled: true, served: 0 };

type Kind_ = 'id' | 'string' | 'int' | 'boolean' | 'enum' | 'date';

/** The fields taken, by type: the drizzle property each reads, and what its value is. */
const PLAIN: Record<string, Record<string, { prop: string; kind: Kind_ }>> = {
  Incident: {
    id: { prop: 'id', kind: 'id' },
    number: { prop: 'number', kind: 'int' },
    externalId: { prop: 'externalId', kind: 'string' },
    title: { prop: 'title', kind: 'string' },
    description: { prop: 'description', kind: 'string' },
    severity: { prop: 'severity', kind: 'enum' },
    status: { prop: 'status', kind: 'enum' },
    classification: { prop: 'classification', kind: 'enum' },
    determination: { prop: 'determination', kind: 'enum' },
    assignment: { prop: 'assignment', kind: 'enum' },
    priorityScore: { prop: 'priorityScore', kind: 'int' },
    resolvingComment: { prop: 'resolvingComment', kind: 'string' },
    version: { prop: 'version', kind: 'int' },
    createdAt: { prop: 'createdAt', kind: 'date' },
    updatedAt: { prop: 'updatedAt', kind: 'date' },
    firstActivityAt: { prop: 'firstActivityAt', kind: 'date' },
    lastActivityAt: { prop: 'lastActivityAt', kind: 'date' },
  },
  Alert: {
    id: { prop: 'id', kind: 'id' },
    externalId: { prop: 'externalId', kind: 'string' },
    title: { prop: 'title', kind: 'string' },
    severity: { prop: 'severity', kind: 'enum' },
    category: { prop: 'category', kind: 'string' },
    detectionSource: { prop: 'detectionSource', kind: 'string' },
    createdAt: { prop: 'createdAt', kind: 'date' },
  },
  Device: {
    id: { prop: 'id', kind: 'id' },
    name: { prop: 'name', kind: 'string' },
    deviceGroup: { prop: 'deviceGroup', kind: 'string' },
    osPlatform: { prop: 'osPlatform', kind: 'string' },
    healthStatus: { prop: 'healthStatus', kind: 'enum' },
    isolated: { prop: 'isolated', kind: 'boolean' },
    appExecutionRestricted: { prop: 'appExecutionRestricted', kind: 'boolean' },
    lastSeenAt: { prop: 'lastSeenAt', kind: 'date' },
  },
};
const TABLES: Record<string, Table> = { Incident: incidents, Alert: alerts, Device: devices };
const SCALARS: Record<Kind_, string | null> = { id: 'ID', string: 'String', int: 'Int', boolean: 'Boolean', date: 'DateTime', enum: null };

/** SQL text of one value as JSON text (never SQL null). */
function valueSql(typename: string, alias: string, column: Column, kind: Kind_, nullable: boolean): string {
  const c = `${alias}."${column.name}"`;
  let expr: string;
  switch (kind) {
    case 'id': {
      const b64 = `encode(convert_to('${typename}:' || ${c}::text, 'UTF8'), 'base64')`;
      // Postgres breaks base64 lines after 76 characters (a uuid id never gets there)
      const long = Math.ceil((typename.length + 1 + 36) / 3) * 4 > 76;
      expr = `'"' || ${long ? `translate(${b64}, E'\\n', '')` : b64} || '"'`;
      break;
    }
    case 'string':
    case 'enum':
      expr = `to_json(${c})::text`;
      break;
    case 'int':
    case 'boolean':
      expr = `${c}::text`;
      break;
    case 'date':
      expr = `'"' || to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`;
      break;
  }
  return nullable ? `coalesce(${expr}, 'null')` : expr;
}

/** SQL text of a JSON object from its members' (literal key, SQL value) pairs, in order. */
function objectSql(members: [string, string][]): string {
  if (members.length === 0) return `'{}'`;
  const parts: string[] = [];
  let literal = '{';
  members.forEach(([key, value], n) => {
    literal += `${n ? ',' : ''}"${key}":`;
    if (value.startsWith("'") && value.endsWith("'") && !value.slice(1, -1).includes("'")) {
      literal += value.slice(1, -1); // a constant (__typename)
      return;
    }
    parts.push(`'${literal}'`, value);
    literal = '';
  });
  parts.push(`'${literal}}'`);
  return parts.join(' || ');
}

// ---- planning (once per document and operation) ----------------------------------------------

interface Plan {
  operation: OperationDefinitionNode;
  incidentsField: GraphQLField<unknown, unknown>;
  incidentsNode: FieldNode;
  alerts: { field: GraphQLField<unknown, unknown>; node: FieldNode } | null;
  /** The response around the nodes: `{"data":{"<alias>":{` … `}}}` with the nodes' place. */
  before: string;
  after: string;
  /** The arguments, when the operation has no variables (they never change). */
  args?: Record<string, unknown>;
  alertsArgs?: Record<string, unknown>;
  /** One incident's JSON (SQL over `incidents i`), given the alerts' page size as a parameter. */
  item: (params: Params, alertsFirst: number) => string;
}

const plans = new WeakMap<DocumentNode, Map<string, Plan | null>>();
/** Statement shapes: each is another prepared statement per connection, so a bounded number. */
const MAX_SHAPES = 64;
const shapes = new Set<string>();

const NODES = '\u0000NODES\u0000';
const ALERTS = '\u0000ALERTS\u0000';

const scopesOf = (x: { extensions?: unknown }) => (x.extensions as { pothosOptions?: { authScopes?: unknown } } | undefined)?.pothosOptions?.authScopes;

/** The fields of a selection set, in order; null if it has anything but plain fields (fragments, directives, a response name twice). */
function plainFields(set: SelectionSetNode | undefined): FieldNode[] | null {
  if (!set) return null;
  const seen = new Set<string>();
  const out: FieldNode[] = [];
  for (const s of set.selections) {
    if (s.kind !== Kind.FIELD || s.directives?.length) return null;
    const key = s.alias?.value ?? s.name.value;
    if (seen.has(key)) return null;
    seen.add(key);
    out.push(s);
  }
  return out;
}

const keyOf = (f: FieldNode) => f.alias?.value ?? f.name.value;
const typenameOnly = (f: FieldNode) => f.name.value === '__typename' && !f.arguments?.length && !f.selectionSet;

/** One object of type `typename` (PLAIN fields and __typename only), as SQL over `alias`. */
function objectOf(schema: GraphQLSchema, typename: string, alias: string, set: SelectionSetNode | undefined, extra?: (f: FieldNode) => string | null | undefined): string | null {
  const type = schema.getType(typename);
  if (!isObjectType(type) || scopesOf(type)) return null;
  const fields = plainFields(set);
  if (!fields) return null;
  const columns = getTableColumns(TABLES[typename]) as Record<string, Column>;
  const members: [string, string][] = [];
  for (const f of fields) {
    if (typenameOnly(f)) {
      members.push([keyOf(f), `'"${typename}"'`]);
      continue;
    }
    const special = extra?.(f);
    if (special === null) return null;
    if (special !== undefined) {
      members.push([keyOf(f), special]);
      continue;
    }
    const spec = Object.hasOwn(PLAIN[typename], f.name.value) ? PLAIN[typename][f.name.value] : undefined;
    const def = type.getFields()[f.name.value];
    if (!spec || !def || f.arguments?.length || f.selectionSet || scopesOf(def)) return null;
    const column = columns[spec.prop];
    if (!column) return null;
    // the field's type is what its value is, and a non-null field reads a not-null column
    const named = getNamedType(def.type);
    if (spec.kind === 'enum') {
      const values = isEnumType(named) ? named.getValues() : null;
      const stored = (column as Column & { enumValues?: string[] }).enumValues;
      if (!values || !stored || values.some((v) => v.name !== v.value) || stored.some((s) => !values.some((v) => v.name === s))) return null;
    } else if (named.name !== SCALARS[spec.kind]) return null;
    if (isNonNullType(def.type) && !column.notNull) return null; // a null would be an error there
    members.push([keyOf(f), valueSql(typename, alias, column, spec.kind, !column.notNull)]);
  }
  return objectSql(members);
}

/** A connection object of `typename`: __typename and `nodes` only. */
function connectionOf(set: SelectionSetNode | undefined, typename: string, nodes: (f: FieldNode) => string | null): string | null {
  const fields = plainFields(set);
  if (!fields) return null;
  const members: [string, string][] = [];
  for (const f of fields) {
    if (typenameOnly(f)) members.push([keyOf(f), `'"${typename}"'`]);
    else if (f.name.value === 'nodes' && !f.arguments?.length) {
      const sql = nodes(f);
      if (sql === null) return null;
      members.push([keyOf(f), sql]);
    } else return null;
  }
  return objectSql(members);
}

function plan(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan | null {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!operation || operation.operation !== 'query' || operation.directives?.length) return null;
  const query = schema.getQueryType();
  // the Query type's own rule: a viewer (answer() requires one)
  const typeScopes = query && (scopesOf(query) as Record<string, unknown> | undefined);
  if (!query || (typeScopes && (Object.keys(typeScopes).length !== 1 || typeScopes.authenticated !== true))) return null;
  const roots = plainFields(operation.selectionSet);
  if (!roots || roots.length !== 1 || roots[0].name.value !== 'incidents') return null;
  const incidentsNode = roots[0];
  const incidentsField = query.getFields().incidents;
  // the one rule on the field itself: the `incidents` policy (checked per request below)
  const scopes = scopesOf(incidentsField) as { policy?: unknown } | undefined;
  if (!scopes || Object.keys(scopes).length !== 1 || scopes.policy !== 'incidents') return null;

  let alerts: Plan['alerts'] = null;
  const incidentType = schema.getType('Incident');
  if (!isObjectType(incidentType)) return null;
  const nested = (f: FieldNode): string | null | undefined => {
    if (f.name.value === 'alerts') {
      const field = incidentType.getFields().alerts;
      if (alerts || !field || scopesOf(field) || f.arguments?.some((a) => a.name.value !== 'first')) return null;
      alerts = { field, node: f };
      return connectionOf(f.selectionSet, 'AlertConnection', (n) => {
        const obj = objectOf(schema, 'Alert', 'a', n.selectionSet);
        return (
          obj &&
          `(select '[' || coalesce(string_agg(${obj}, ',' order by a.created_at, a.id), '') || ']'
            from (select * from alerts a where a.incident_id = i.id and a.tenant_id = i.tenant_id order by a.created_at, a.id limit ${ALERTS}) a)`
        );
      });
    }
    if (f.name.value === 'devices') {
      const field = incidentType.getFields().devices;
      if (!field || scopesOf(field) || f.arguments?.length) return null;
      const obj = objectOf(schema, 'Device', 'd', f.selectionSet);
      return (
        obj &&
        `(select '[' || coalesce(string_agg(${obj}, ',' order by d.name, d.id), '') || ']'
          from devices d where d.tenant_id = i.tenant_id
            and d.id in (select e.device_id from evidence e where e.incident_id = i.id and e.tenant_id = i.tenant_id))`
      );
    }
    return undefined; // a plain field
  };
  let item: string | null = null;
  let nodesSeen = 0;
  const conn = connectionOf(incidentsNode.selectionSet, 'IncidentConnection', (nodesNode) => {
    if (nodesSeen++) return null;
    item = objectOf(schema, 'Incident', 'i', nodesNode.selectionSet, nested);
    return item === null ? null : `'${NODES}'`;
  });
  // the connection object is all constants around the nodes: one SQL literal
  if (conn === null || item === null || nodesSeen !== 1 || !/^'[^']*'$/.test(conn)) return null;
  const template: string = item;
  if (!shapes.has(template)) {
    if (shapes.size >= MAX_SHAPES) return null;
    shapes.add(template);
  }
  const [inner, rest] = conn.slice(1, -1).split(NODES);
  return {
    operation,
    incidentsField,
    incidentsNode,
    alerts,
    before: `{"data":{"${keyOf(incidentsNode)}":${inner}`,
    after: `${rest}}}`,
    // (a parameter is added only when the text uses it: Postgres cannot type an unused one)
    item: alerts ? (params, alertsFirst) => template.split(ALERTS).join(params.add(alertsFirst, 'int')) : () => template,
  };
}

function planFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan | null {
  let byName = plans.get(document);
  if (!byName) plans.set(document, (byName = new Map()));
  const key = operationName ?? '';
  let p = byName.get(key);
  if (p === undefined) {
    try {
      p = plan(schema, document, operationName);
    } catch {
      p = null;
    }
    byName.set(key, p);
  }
  return p;
}

// ---- running ------------------------------------------------------------------------------------

/** The response text for this request, or null: take the normal way. */
async function answer(
  p: Plan,
  schema: GraphQLSchema,
  ctx: GraphQLContext,
  rawVariables: Record<string, unknown> | null | undefined,
): Promise<string | null> {
  const viewer = ctx.viewer;
  if (!viewer || !allows(viewer, 'incidents')) return null;
  let variables: Record<string, unknown> = {};
  const fixed = !p.operation.variableDefinitions?.length;
  if (!fixed) {
    const coerced = getVariableValues(schema, p.operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
    if (coerced.errors) return null;
    variables = coerced.coerced;
  }
  // without variables the arguments are the document's own: worked out once
  const args = (fixed ? (p.args ??= getArgumentValues(p.incidentsField, p.incidentsNode, variables)) : getArgumentValues(p.incidentsField, p.incidentsNode, variables)) as {
    filter?: Parameters<typeof toDomainFilter>[0];
    orderBy?: { field: 'LAST_UPDATE' | 'CREATED' | 'SEVERITY' | 'PRIORITY'; direction: 'ASC' | 'DESC' } | null;
    viewId?: unknown;
    first?: number | null;
    after?: string | null;
    last?: number | null;
    before?: string | null;
  };
  if (args.viewId != null || args.last != null || args.before != null) return null;
  let alertsFirst = 0;
  if (p.alerts) {
    const a = (fixed ? (p.alertsArgs ??= getArgumentValues(p.alerts.field, p.alerts.node, variables)) : getArgumentValues(p.alerts.field, p.alerts.node, variables)) as { first?: number | null };
    const req = pageRequest({ first: a.first }, ['date']);
    if (req.backward || req.cursor) return null;
    alertsFirst = req.limit;
  }
  const nodes = await listIncidentsJson(ctx, toDomainFilter(args.filter), args.orderBy, args, (params) => p.item(params, alertsFirst));
  return nodes === null ? null : p.before + nodes + p.after;
}

/** A result whose text is already written: yoga sends `stringify()`; anything else reading `data` gets it parsed. */
function writtenResult(text: string): ExecutionResult {
  let data: ExecutionResult['data'];
  const result = {
    get data() {
      return (data ??= (JSON.parse(text) as ExecutionResult).data);
    },
  };
  // yoga's regular result processor sends result.stringify(result) when there is one (as for graphql-jit)
  Object.defineProperty(result, 'stringify', { value: () => text, enumerable: false });
  return result as ExecutionResult;
}

/**
 * The envelop plugin; place it after every plugin whose onExecute must run first (limits, rate
 * limit, persisted documents) and before graphql-jit. HTTP only: other transports take the normal way.
 */
export function useQueueFastPath(): Plugin<GraphQLContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!queueFastPath.enabled) return;
      const ctx = args.contextValue as GraphQLContext & { request?: unknown };
      if (!ctx.request || ctx.auth?.socket) return;
      const p = planFor(args.schema, args.document, args.operationName);
      if (!p) return;
      return answer(p, args.schema, ctx, args.variableValues as Record<string, unknown> | undefined).then(
        (text) => {
          if (text === null) return;
          queueFastPath.served++;
          setResultAndStopExecution(writtenResult(text));
        },
        () => {
          // bad input or a database error: the normal way answers (and says why)
        },
      ) as unknown as void;
    },
  };
}
