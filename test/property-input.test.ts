// Property: no input, however hostile, is an internal error or a half-done write (SPEC.md section 7).
// The schema is walked: for every mutation and every query field that takes arguments, arbitrary
// argument values are generated from the argument types (strings with NUL, unicode, huge ones;
// numbers out of every range; impossible dates; unknown enum values; global ids of this tenant,
// of another tenant, of no row, and garbage), sent over HTTP as variables with the token of a
// random role, and the answer must be data or a typed error, with nothing written when it
// carries an error. Seeded, so a failure reproduces.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { createPrincipal } from '../src/domain/admin';
import { schema } from '../src/graphql/schema';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { mutate, summary, truePositive } from './helpers/response';

/** Runs per field; every field gets its own seed. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261130);

/** The codes a caller may get; anything else (INTERNAL_SERVER_ERROR above all) is a bug. */
const ALLOWED_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  // a query naming a tenant the caller cannot read (serviceMetrics, previewSuppressionRule): typed, documented
  'NOT_FOUND',
]);

/** JSON for a failure message, with long strings cut (the generators make 30,000-character ones). */
const show = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'string' && x.length > 60 ? `${x.slice(0, 40)}…(${x.length} chars)` : x)).slice(0, 1_500);

let app: TestApp;
let A: TenantFixture;
let B: TenantFixture;
/** Global ids worth trying: the fixture's own, another tenant's, ones of no row, and junk. */
let ids: string[] = [];
let deviceGroups: string[] = [];
/** The fixture tenant's own ids, by type. */
let own: Record<string, string[]> = {};

/** A true positive with a published managed response: one-click and manual action cards. */
async function fixture(t: TenantFixture): Promise<Record<string, string[]>> {
  const inc = await truePositive(app, t);
  const p = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc.id,
    summary,
    actions: [
      { kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id },
      ...(inc.devices[0].files[0] ? [{ kind: 'QUARANTINE_FILE', targetId: inc.devices[0].files[0].id }] : []),
      { kind: 'MANUAL', title: 'Reset the password', instructions: 'Reset it' },
    ],
  });
  expect(p.data.publishManagedResponse.errors).toEqual([]);
  const cards = (p.data.publishManagedResponse.incident.managedResponse.actions as { id: string }[]).map((c) => c.id);
  const alerts = await app.gql<{ node: { alerts: { nodes: { id: string }[] } } }, unknown>(
    'query($id: ID!) { node(id: $id) { ... on Incident { alerts(first: 5) { nodes { id } } } } }',
    { id: inc.id },
    t.tokens.READER,
  );
  return {
    Incident: [inc.id],
    ActionCard: cards,
    Device: inc.devices.map((d) => d.id),
    DeviceFile: inc.devices.flatMap((d) => d.files.map((f) => f.id)),
    Alert: alerts.data!.node.alerts.nodes.map((a) => a.id),
    Tenant: [t.tenantGid],
    // principals the properties may change (updatePrincipal can disable or re-role them): never
    // the callers whose tokens the properties use
    Principal: await Promise.all(
      (['READER', 'OPERATOR', 'ADMIN'] as const).map(async (role) =>
        encodeGlobalID('Principal', (await createPrincipal(app.database.db, { tenantId: t.tenant.id, role, name: `Fuzzed ${role}` })).id),
      ),
    ),
  };
}

/** The type of id an argument or input field takes, by its name (any, when the name says none). */
const ID_TYPES: Record<string, string[]> = {
  incidentId: ['Incident'],
  actionId: ['ActionCard'],
  deviceId: ['Device'],
  targetId: ['Device', 'DeviceFile'],
  tenantId: ['Tenant'],
  tenantIds: ['Tenant'],
  assigneeId: ['Principal'],
  principalId: ['Principal'],
};

beforeAll(async () => {
  // no background executor (it would write while a property looks for writes), no rate limit
  const defaults = loadConfig({ ...process.env, MDR_DEMO: '0' });
  app = await startApp({
    execution: { ...defaults.execution, enabled: false },
    security: { ...defaults.security, rateLimitPerMinute: 0 },
  });
  A = await newTenant(app);
  B = await newTenant(app);
  own = await fixture(A);
  const foreign = await fixture(B);
  deviceGroups = ['Workstations', 'Servers'];
  ids = [
    ...Object.values(own).flat(),
    ...Object.values(foreign).flat(),
    ...Object.keys(own).map((type) => encodeGlobalID(type, randomUUID())),
    encodeGlobalID('Incident', '42'),
    encodeGlobalID('NoSuchType', randomUUID()),
    'garbage',
    '',
    `${own.Incident[0]}\u0000`,
  ];
}, 60_000);
afterAll(async () => {
  await app?.close();
});

// ---- arbitrary values, by input type

const NUL = '\u0000';
const hostileText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 5, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}${NUL}${b}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '#1', '42', '%', '_', '\\', "'; drop table incidents; --", '\ud800', '\u202e', 'Workstations', 'WS-1', '🛡️'),
  },
  // long: beyond every documented limit, and beyond a btree index row
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '🛡️'), fc.constantFrom(101, 201, 301, 501, 2_001, 3_000, 30_001)).map(([c, n]) => c.repeat(n)) },
);
const hostileInt = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 120 }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e308, 2.5, -0, '10', 'NaN', '1e400', true, null) },
);
const isoDate = (min: string, max: string) => fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true }).map((d) => d.toISOString());
const hostileDate = fc.oneof(
  { weight: 2, arbitrary: isoDate('1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z') },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      '2026-02-30T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '9999-12-31T23:59:59Z',
      '+275760-09-13T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01',
      'yesterday',
      '',
      0,
      1767225600000,
    ),
  },
  // any digits in the right places: impossible months, days, year 0
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 })).map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T12:00:00Z`) },
);
const hostileId = () => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: hostileText });

/** Cursors as anyone can write them: base64url JSON of sort keys and a row id, any of them forged. */
const cursorPart = fc.oneof(
  hostileDate,
  hostileInt,
  fc.constantFrom<unknown>('LOW', 'BOGUS', `HIGH${NUL}`, randomUUID(), 'not-a-uuid', null, [], {}),
);
const validCursor = fc.tuple(isoDate('2020-01-01T00:00:00Z', '2026-06-01T00:00:00Z'), fc.uuid()).map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url'));
const hostileCursor = fc.oneof(
  fc.array(cursorPart, { minLength: 0, maxLength: 4 }).map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url')),
  hostileText,
);

const plausibleText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('Workstations', 'Servers', 'WS-1', 'Malware ran', 'T1059.001', 'a'.repeat(64)) },
);

/** A value of a leaf type (scalar or enum), valid as a well-behaved client would send it. */
function validLeaf(type: GraphQLNamedType, name: string): fc.Arbitrary<unknown> {
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.name));
  if (name === 'after' || name === 'before') return validCursor;
  switch (type.name) {
    case 'ID':
      return fc.constantFrom(...(ID_TYPES[name] ?? Object.keys(own)).flatMap((t) => own[t]));
    case 'Int':
      return fc.integer({ min: 0, max: 20 });
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return isoDate('2020-01-01T00:00:00Z', '2026-06-01T00:00:00Z');
    default:
      return plausibleText;
  }
}

/** A value of a leaf type that may be anything a hostile client sends. */
function hostileLeaf(type: GraphQLNamedType, name: string): fc.Arbitrary<unknown> {
  if (isEnumType(type)) {
    const values = type.getValues().map((v) => v.name);
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.constantFrom('BOGUS', values[0].toLowerCase(), '', 1) });
  }
  if (name === 'after' || name === 'before') return hostileCursor;
  switch (type.name) {
    case 'ID':
      return hostileId();
    case 'Int':
    case 'Float':
      return hostileInt;
    case 'Boolean':
      return fc.constantFrom<unknown>(true, false, 'true', 0);
    case 'DateTime':
      return hostileDate;
    case 'String':
      return fc.oneof({ weight: 5, arbitrary: hostileText }, { weight: 1, arbitrary: fc.constantFrom(...deviceGroups) });
    default:
      return fc.oneof(hostileText, hostileInt);
  }
}

/** hostile: any leaf may be anything; valid: what a well-behaved client sends. */
type Mode = 'hostile' | 'valid';

function valueOf(type: GraphQLInputType, mode: Mode, name: string, depth = 0): fc.Arbitrary<unknown> {
  const valid = mode === 'valid';
  if (isNonNullType(type)) return valueOf(type.ofType, mode, name, depth);
  if (isListType(type)) return fc.array(valueOf(type.ofType, mode, name, depth + 1), { minLength: valid ? 1 : 0, maxLength: depth > 2 ? 1 : valid ? 2 : 4 });
  if (isInputObjectType(type)) {
    // (tenantIds is for experts serving several tenants: a customer sending it is refused first)
    const fields = Object.values(type.getFields()).filter((f) => !valid || f.name !== 'tenantIds');
    const inner = Object.fromEntries(fields.map((f) => [f.name, valueOf(f.type, mode, f.name, depth + 1)]));
    // an input of alternatives (every field an optional input object, e.g. EvidenceInput): a
    // well-behaved client sets exactly one of them
    if (valid && fields.every((f) => !isNonNullType(f.type) && isInputObjectType(f.type))) {
      return fc.oneof(...fields.map((f) => inner[f.name].map((v) => ({ [f.name]: v }))));
    }
    const shape = Object.fromEntries(
      fields.map((f) => [f.name, isNonNullType(f.type) || valid ? inner[f.name] : fc.oneof({ weight: 3, arbitrary: inner[f.name] }, { weight: 1, arbitrary: fc.constant(null) })]),
    );
    return fc.record(shape, { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) });
  }
  return valid ? validLeaf(type, name) : hostileLeaf(type, name);
}

/** Where in a value its leaves are, with their types (to replace one of them). */
function leavesOf(value: unknown, type: GraphQLInputType, name: string, path: (string | number)[], out: { path: (string | number)[]; type: GraphQLNamedType; name: string }[]) {
  if (value === null || value === undefined) return out;
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t)) (value as unknown[]).forEach((v, i) => leavesOf(v, t.ofType, name, [...path, i], out));
  else if (isInputObjectType(t)) {
    const fields = t.getFields();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (fields[k]) leavesOf(v, fields[k].type, k, [...path, k], out);
  } else out.push({ path, type: t as GraphQLNamedType, name });
  return out;
}

const kindOf = (leaf: { type: GraphQLNamedType; name: string }) =>
  leaf.name === 'after' || leaf.name === 'before' ? 'cursor' : isEnumType(leaf.type) ? 'enum' : leaf.type.name;

function replaceAt(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[head] = replaceAt(copy[head], rest, leaf);
  return copy;
}

/**
 * A field's arguments: wholly hostile; valid; or valid but for ONE hostile leaf (the most telling:
 * it gets past every other check, to the rule or the SQL that must refuse it).
 */
function argumentsOf(field: GraphQLField<unknown, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const of = (mode: Mode) =>
    fc.record(
      Object.fromEntries(
        field.args
          // a well-behaved client pages one way: first/after
          .filter((a) => mode === 'hostile' || (a.name !== 'last' && a.name !== 'before'))
          .map((a) => {
            const v = valueOf(a.type, mode, a.name);
            // (fast-check leaves an option out once in `freq` draws)
            return [a.name, isNonNullType(a.type) ? v : fc.option(v, { nil: undefined, freq: mode === 'hostile' ? 4 : 3 })];
          }),
      ),
    );
  const oneHostile = of('valid').chain((args) => {
    const leaves = field.args.flatMap((a) => leavesOf(args[a.name], a.type, a.name, [a.name], []));
    if (!leaves.length) return fc.constant(args);
    // first the kind of hostility (so a field with many text leaves still gets its dates and
    // cursors tampered with), then a leaf of that kind
    const kinds = [...new Set(leaves.map(kindOf))];
    return fc
      .constantFrom(...kinds)
      .chain((kind) => fc.constantFrom(...leaves.filter((l) => kindOf(l) === kind)))
      .chain((leaf) => hostileLeaf(leaf.type, leaf.name).map((v) => replaceAt(args, leaf.path, v) as Record<string, unknown>));
  });
  return fc.oneof({ weight: 1, arbitrary: of('hostile') }, { weight: 1, arbitrary: of('valid') }, { weight: 4, arbitrary: oneHostile });
}

/** A selection that makes the field do its work: ids, totals, a payload's errors. */
function selection(type: GraphQLOutputType): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  const parts = ['__typename'];
  if (isObjectType(named)) {
    const fields = named.getFields();
    if (fields.id) parts.push('id');
    if (fields.version) parts.push('version');
    if (fields.totalCount) parts.push('totalCount');
    if (fields.nodes) parts.push('nodes { __typename }');
    if (fields.errors) parts.push('errors { code message field }');
    for (const [name, f] of Object.entries(fields)) {
      const n = getNamedType(f.type);
      if (name !== 'errors' && isObjectType(n) && f.args.length === 0 && n.getFields().id) parts.push(`${name} { id }`);
    }
  } else parts.push('... on Node { id }');
  return `{ ${parts.join(' ')} }`;
}

// ---- what must never change when an answer carries an error

/** Everything the fixture tenants hold that a mutation could change, per tenant (one statement for all). */
async function fingerprints(tenantIds: string[]) {
  return app.database.query<Record<string, unknown>>(
    `select
      (select coalesce(sum(version), 0)::text from incidents where tenant_id = t.id) as versions,
      (select count(*)::int from incidents where tenant_id = t.id) as incidents,
      (select count(*)::int from activity where tenant_id = t.id) as activity,
      (select count(*)::int from comments where tenant_id = t.id) as comments,
      (select count(*)::int from chat_messages where tenant_id = t.id) as chat,
      (select count(*)::int from action_attempts where tenant_id = t.id) as attempts,
      (select string_agg(status::text, ',' order by id) from action_cards where tenant_id = t.id) as cards,
      (select string_agg(health_status::text, ',' order by id) from devices where tenant_id = t.id) as devices,
      (select service_access_level::text || ':' || array_to_string(remediation_exclusions, '|') from tenants where id = t.id) as tenant
    from unnest($1::uuid[]) with ordinality as t(id, n)
    order by t.n`,
    [tenantIds],
  );
}

type Role = keyof TenantFixture['tokens'];
const ROLES: (Role | null)[] = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION', 'EXPERT', null];

function checkAnswer(field: string, r: GqlResult<Record<string, unknown>>, context: unknown) {
  const where = `${field}: ${show(context)}\n→ ${show(r)}`;
  expect([200, 400, 413], where).toContain(r.status);
  for (const e of r.errors ?? []) {
    expect(e.message, where).not.toBe('Unexpected error.');
    expect(ALLOWED_CODES.has(String(e.extensions?.code)), where).toBe(true);
  }
}

const roots = [
  ['mutation', schema.getMutationType()!] as const,
  ['query', schema.getQueryType()!] as const,
].flatMap(([kind, type]) =>
  Object.values(type.getFields())
    .filter((f) => kind === 'mutation' || f.args.length > 0)
    .map((f) => ({ kind, field: f as GraphQLField<unknown, unknown> })),
);

describe('arbitrary arguments: a typed answer, never an internal error, nothing half-written', () => {
  it('covers every mutation and every query field with arguments', () => {
    const names = roots.map((r) => r.field.name);
    expect(names).toEqual(expect.arrayContaining(['ingestIncident', 'addComment', 'updateIncident', 'incidents', 'node', 'nodes', 'responseActions']));
    expect(roots.filter((r) => r.kind === 'mutation')).toHaveLength(Object.keys(schema.getMutationType()!.getFields()).length);
  });

  it.each(roots.map((r, i) => [`${r.kind} ${r.field.name}`, r, i] as const))(
    '%s',
    async (_label, { kind, field }, index) => {
      const vars = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const call = field.args.length ? `${field.name}(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : field.name;
      const document = `${kind}${vars ? `(${vars})` : ''} { ${call} ${selection(field.type)} }`;
      await fc.assert(
        fc.asyncProperty(argumentsOf(field), fc.constantFrom(...ROLES), async (variables, role) => {
          const before = kind === 'mutation' ? await fingerprints([A.tenant.id, B.tenant.id]) : null;
          const r = (await app.gql(document, variables as never, role ? A.tokens[role] : null)) as GqlResult<Record<string, unknown>>;
          checkAnswer(field.name, r, { role, variables });
          if (before) {
            const payload = r.data?.[field.name] as { errors?: unknown[] } | null | undefined;
            const failed = (r.errors?.length ?? 0) > 0 || !payload || (payload.errors?.length ?? 0) > 0;
            const after = await fingerprints([A.tenant.id, B.tenant.id]);
            const where = `${field.name} as ${role}: ${show(variables)}\n→ ${show(r)}`;
            // another tenant is never touched by this tenant's tokens
            expect(after[1], where).toEqual(before[1]);
            if (failed) expect(after[0], where).toEqual(before[0]);
          }
        }),
        { numRuns: RUNS, seed: SEED + index, endOnFailure: true },
      );
    },
    60_000,
  );
});
