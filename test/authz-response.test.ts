// Authorization matrix for the managed-response surface (SPEC.md section 1), table-driven:
// every mutation × every role (and no token) × the viewer's own tenant / another tenant.
// - a role the mutation's scope excludes: top-level FORBIDDEN (no token: UNAUTHENTICATED);
// - a permitted role on another tenant's object: a NOT_FOUND user error, identical to the one for
//   an id that never existed;
// - either way nothing is written. On its own tenant a permitted role succeeds (or gets the
//   documented rule error, e.g. NOT_PERMITTED_FOR_ACCESS_LEVEL for experts in a READER tenant).
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { Role } from '../src/domain/viewer';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate, summary, truePositive } from './helpers/response';

let app: TestApp;
// No executor: nothing changes in the background between the before/after snapshots.
beforeAll(async () => {
  app = await startApp({ execution: { enabled: false, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never);
});
afterAll(async () => {
  await app?.close();
});

const ROLES = ['READER', 'OPERATOR', 'ADMIN', 'EXPERT', 'INTEGRATION'] as const;
const GHOST = '00000000-0000-4000-8000-000000000000';

type Outcome = 'OK' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'NOT_FOUND' | 'NOT_PERMITTED_FOR_ACCESS_LEVEL' | 'TARGET_EXCLUDED';

interface Case {
  mutation: string;
  /** Distinguishes several rows of one mutation. */
  label?: string;
  /** Roles the mutation's scope admits (others: top-level FORBIDDEN). */
  roles: readonly Role[];
  /** Outcome on the viewer's own tenant for admitted roles that do not simply succeed. */
  own?: Partial<Record<Role, Outcome>>;
  tenant?: Parameters<typeof newTenant>[1];
  /** Create the object in `fx` and return the mutation input; `id` names the input field holding the object id. */
  setup(fx: TenantFixture): Promise<{ input: Record<string, unknown>; id: string; typename: string }>;
}

async function publishedCard(fx: TenantFixture, action: Record<string, unknown> | ((inc: Awaited<ReturnType<typeof truePositive>>) => Record<string, unknown>)) {
  const inc = await truePositive(app, fx);
  const r = await mutate(app, fx.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc.id,
    summary,
    actions: [typeof action === 'function' ? action(inc) : action],
  });
  expect(r.data.publishManagedResponse.errors).toEqual([]);
  const card = r.data.publishManagedResponse.incident.managedResponse.actions[0];
  expect(card.status).toBe('PENDING');
  return { inc, card };
}

const isolate = (inc: Awaited<ReturnType<typeof truePositive>>) => ({ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id });

const CASES: Case[] = [
  {
    mutation: 'startInvestigation',
    roles: ['EXPERT'],
    setup: async (fx) => ({ input: { incidentId: (await ingest(app, fx)).id }, id: 'incidentId', typename: 'Incident' }),
  },
  {
    mutation: 'classifyIncident',
    roles: ['EXPERT'],
    setup: async (fx) => {
      const inc = await ingest(app, fx);
      await mutate(app, fx.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
      return {
        input: { incidentId: inc.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'Benign' },
        id: 'incidentId',
        typename: 'Incident',
      };
    },
  },
  {
    mutation: 'publishManagedResponse',
    roles: ['EXPERT'],
    setup: async (fx) => ({
      input: { incidentId: (await truePositive(app, fx)).id, summary, actions: [{ kind: 'MANUAL', instructions: 'Reset the password' }] },
      id: 'incidentId',
      typename: 'Incident',
    }),
  },
  {
    mutation: 'reopenIncident',
    roles: ['EXPERT'],
    setup: async (fx) => {
      const inc = await ingest(app, fx);
      await mutate(app, fx.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
      await mutate(app, fx.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification: 'FALSE_POSITIVE', determination: 'OTHER', summary: 'noise' });
      return { input: { incidentId: inc.id }, id: 'incidentId', typename: 'Incident' };
    },
  },
  {
    mutation: 'performAction',
    label: 'READER access level',
    roles: ['OPERATOR', 'ADMIN', 'EXPERT'],
    own: { EXPERT: 'NOT_PERMITTED_FOR_ACCESS_LEVEL' },
    tenant: { serviceAccessLevel: 'READER' },
    setup: async (fx) => ({ input: { actionId: (await publishedCard(fx, isolate)).card.id }, id: 'actionId', typename: 'ActionCard' }),
  },
  {
    // the same card in a tenant that granted OPERATOR after publishing: experts may now act
    mutation: 'performAction',
    label: 'OPERATOR access level',
    roles: ['OPERATOR', 'ADMIN', 'EXPERT'],
    tenant: { serviceAccessLevel: 'READER' },
    setup: async (fx) => {
      const { card } = await publishedCard(fx, isolate);
      await app.database.query(`update tenants set service_access_level = 'OPERATOR' where id = $1`, [fx.tenant.id]);
      return { input: { actionId: card.id }, id: 'actionId', typename: 'ActionCard' };
    },
  },
  {
    // OPERATOR tenant, target in an excluded device group
    mutation: 'performAction',
    label: 'excluded target',
    roles: ['OPERATOR', 'ADMIN', 'EXPERT'],
    own: { EXPERT: 'TARGET_EXCLUDED' },
    tenant: { serviceAccessLevel: 'OPERATOR', remediationExclusions: ['Workstations'] },
    setup: async (fx) => ({ input: { actionId: (await publishedCard(fx, isolate)).card.id }, id: 'actionId', typename: 'ActionCard' }),
  },
  {
    mutation: 'completeManualAction',
    roles: ['OPERATOR', 'ADMIN'],
    setup: async (fx) => ({
      input: { actionId: (await publishedCard(fx, { kind: 'MANUAL', instructions: 'Block the sender' })).card.id },
      id: 'actionId',
      typename: 'ActionCard',
    }),
  },
  {
    mutation: 'skipAction',
    roles: ['OPERATOR', 'ADMIN'],
    setup: async (fx) => ({ input: { actionId: (await publishedCard(fx, isolate)).card.id, reason: 'not needed' }, id: 'actionId', typename: 'ActionCard' }),
  },
  {
    mutation: 'sendChatMessage',
    roles: ['READER', 'OPERATOR', 'ADMIN', 'EXPERT'],
    setup: async (fx) => {
      const inc = await truePositive(app, fx);
      await mutate(app, fx.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [] });
      return { input: { incidentId: inc.id, body: 'Any update?' }, id: 'incidentId', typename: 'Incident' };
    },
  },
  {
    mutation: 'setServiceAccessLevel',
    roles: ['ADMIN'],
    setup: async (fx) => ({ input: { tenantId: fx.tenantGid, level: 'OPERATOR' }, id: 'tenantId', typename: 'Tenant' }),
  },
  {
    mutation: 'setRemediationExclusions',
    roles: ['ADMIN'],
    setup: async (fx) => ({ input: { tenantId: fx.tenantGid, deviceGroups: ['Domain Controllers'] }, id: 'tenantId', typename: 'Tenant' }),
  },
  {
    mutation: 'setDeviceHealth',
    roles: ['ADMIN'],
    setup: async (fx) => ({ input: { deviceId: (await ingest(app, fx)).devices[0].id, health: 'INACTIVE' }, id: 'deviceId', typename: 'Device' }),
  },
];

const FIELDS: Record<string, string> = {
  performAction: 'action { id status }',
  completeManualAction: 'action { id status }',
  skipAction: 'action { id status }',
  sendChatMessage: 'message { id }',
  setServiceAccessLevel: 'tenant { id serviceAccessLevel }',
  setRemediationExclusions: 'tenant { id remediationExclusions }',
  setDeviceHealth: 'device { id healthStatus }',
};

/** Everything these mutations can write, for two tenants. */
async function snapshot(tenantIds: string[]) {
  const [a, b] = tenantIds;
  return app.database.query<{ k: string; id: string; v: string }>(
    `select 'incident' as k, id::text as id, status::text || ':' || version || ':' || classification::text || ':' || assignment::text as v from incidents where tenant_id in ($1::uuid, $2::uuid)
     union all select 'card', id::text, status::text || ':' || coalesce(performed_by::text, '-') || ':' || updated_at::text from action_cards where tenant_id in ($1::uuid, $2::uuid)
     union all select 'attempt', id::text, state::text from action_attempts where tenant_id in ($1::uuid, $2::uuid)
     union all select 'response', incident_id::text, published_at::text from managed_responses where tenant_id in ($1::uuid, $2::uuid)
     union all select 'chat', id::text, body from chat_messages where tenant_id in ($1::uuid, $2::uuid)
     union all select 'activity', id::text, field from activity where tenant_id in ($1::uuid, $2::uuid)
     union all select 'tenant', id::text, service_access_level::text || ':' || array_to_string(remediation_exclusions, ',') from tenants where id in ($1::uuid, $2::uuid)
     union all select 'device', id::text, health_status::text || ':' || isolated::text from devices where tenant_id in ($1::uuid, $2::uuid)
     order by 1, 2`,
    [a, b],
  );
}

async function run(c: Case, token: string | null, input: Record<string, unknown>) {
  return mutate(app, token as string, c.mutation, input, FIELDS[c.mutation] ?? 'incident { id status }');
}

function outcomeOf(c: Case, r: Awaited<ReturnType<typeof run>>): Outcome | string {
  if (r.errors?.length) return String(r.errors[0].extensions?.code);
  const errors = r.data[c.mutation].errors;
  return errors.length ? errors[0].code : 'OK';
}

describe.each(CASES.map((c) => [c.label ? `${c.mutation} (${c.label})` : c.mutation, c] as const))('%s', (_name, c) => {
  // each test has its own two tenants and no executor runs: the tests can run side by side
  const refused = [...ROLES.filter((r) => !c.roles.includes(r)), 'no token' as const];

  it.concurrent(`refused for ${refused.join(', ')}: a top-level error on its own and another tenant's object, nothing written`, async () => {
    const own = await newTenant(app, c.tenant);
    const other = await newTenant(app, c.tenant);
    const objects = { own: await c.setup(own), other: await c.setup(other) };
    const before = await snapshot([own.tenant.id, other.tenant.id]);
    for (const who of refused) {
      const token = who === 'no token' ? null : own.tokens[who];
      for (const [scope, obj] of Object.entries(objects)) {
        const r = await run(c, token, obj.input);
        expect(outcomeOf(c, r), `${who} on ${scope}: ${JSON.stringify(r)}`).toBe(who === 'no token' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
        expect(r.data ?? null).toBeNull();
      }
    }
    expect(await snapshot([own.tenant.id, other.tenant.id])).toEqual(before);
  });

  it.concurrent.each(c.roles)('as %s: allowed on its own tenant; another tenant\'s object is NOT_FOUND', async (role) => {
    const own = await newTenant(app, c.tenant);
    const other = await newTenant(app, c.tenant);
    const token = own.tokens[role];

    // own tenant
    const mine = await c.setup(own);
    let before = await snapshot([own.tenant.id, other.tenant.id]);
    const r1 = await run(c, token, mine.input);
    const expectedOwn: Outcome = c.own?.[role] ?? 'OK';
    expect(outcomeOf(c, r1), JSON.stringify(r1)).toBe(expectedOwn);
    if (expectedOwn === 'OK') expect(await snapshot([own.tenant.id, other.tenant.id])).not.toEqual(before);
    else expect(await snapshot([own.tenant.id, other.tenant.id])).toEqual(before);

    // another tenant's object (for an expert: a tenant it does not serve)
    const theirs = await c.setup(other);
    before = await snapshot([own.tenant.id, other.tenant.id]);
    const r2 = await run(c, token, theirs.input);
    expect(outcomeOf(c, r2), JSON.stringify(r2)).toBe('NOT_FOUND');
    expect(await snapshot([own.tenant.id, other.tenant.id])).toEqual(before);
    // indistinguishable from an id that never existed
    const ghost = await run(c, token, { ...theirs.input, [theirs.id]: encodeGlobalID(theirs.typename, GHOST) });
    expect(r2.data[c.mutation].errors).toEqual(ghost.data[c.mutation].errors);
    expect(r2.data[c.mutation].errors[0].field).toEqual(['input', theirs.id]);
    expect(Object.values(r2.data[c.mutation]).filter((v) => v !== null && !Array.isArray(v))).toEqual([]);
  });
});

describe('responseActions (the action center) by role', () => {
  let own: TenantFixture;
  let other: TenantFixture;
  let ownCard: string;
  let otherIncident: string;
  beforeAll(async () => {
    own = await newTenant(app);
    other = await newTenant(app);
    ownCard = (await publishedCard(own, isolate)).card.id;
    const theirs = await publishedCard(other, isolate);
    otherIncident = theirs.inc.id;
  });

  it.each([...ROLES, 'no token' as const])('as %s: own cards only; another tenant\'s come back empty', async (who) => {
    const role = who === 'no token' ? null : who;
    const token = role ? own.tokens[role] : null;
    const q = `query($filter: ActionFilter) { responseActions(filter: $filter, first: 100) { totalCount nodes { id } } }`;
    const mine = await app.gql<any, any>(q, {}, token);
    if (role === null) {
      expect(mine.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      return;
    }
    expect(mine.errors).toBeUndefined();
    expect(mine.data.responseActions).toEqual({ totalCount: 1, nodes: [{ id: ownCard }] });
    for (const filter of [{ tenantIds: [other.tenantGid] }, { incidentId: otherIncident }]) {
      const theirs = await app.gql<any, any>(q, { filter }, token);
      expect(theirs.data.responseActions, JSON.stringify(filter)).toEqual({ totalCount: 0, nodes: [] });
    }
  });
});

describe('viewerCanPerform / viewerCannotPerformReason by role', () => {
  const Q = `query($id: ID!) { node(id: $id) { ... on ActionCard { status viewerCanPerform viewerCannotPerformReason viewerCanSkip } } }`;
  const view = async (token: string, id: string) => (await app.gql<any, any>(Q, { id }, token)).data.node;

  it('a pending one-click card in a READER tenant', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const { card } = await publishedCard(t, isolate);
    const expected: Record<Role, [boolean, RegExp | null, boolean]> = {
      READER: [false, /Readers cannot act/, false],
      OPERATOR: [true, null, true],
      ADMIN: [true, null, true],
      EXPERT: [false, /READER access level/, false],
      INTEGRATION: [false, /Integrations cannot act/, false],
    };
    for (const role of ROLES) {
      const v = await view(t.tokens[role], card.id);
      const [can, why, skip] = expected[role];
      expect(v.viewerCanPerform, role).toBe(can);
      expect(v.viewerCanSkip, role).toBe(skip);
      if (why) expect(v.viewerCannotPerformReason, role).toMatch(why);
      else expect(v.viewerCannotPerformReason, role).toBeNull();
    }
    // the hints match what the mutation does
    const exp = await mutate(app, t.tokens.EXPERT, 'performAction', { actionId: card.id }, 'action { id }');
    expect(exp.data.performAction.errors[0].code).toBe('NOT_PERMITTED_FOR_ACCESS_LEVEL');
    // another tenant cannot even see the card
    const other = await newTenant(app);
    for (const role of ROLES) expect(await view(other.tokens[role], card.id), role).toBeNull();
  });

  it('experts: allowed in an OPERATOR tenant, not on an excluded target', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER', remediationExclusions: [] });
    const { card } = await publishedCard(t, isolate);
    await app.database.query(`update tenants set service_access_level = 'OPERATOR' where id = $1`, [t.tenant.id]);
    expect(await view(t.tokens.EXPERT, card.id)).toMatchObject({ viewerCanPerform: true, viewerCannotPerformReason: null, viewerCanSkip: false });
    await app.database.query(`update tenants set remediation_exclusions = '{Workstations}' where id = $1`, [t.tenant.id]);
    const excluded = await view(t.tokens.EXPERT, card.id);
    expect(excluded.viewerCanPerform).toBe(false);
    expect(excluded.viewerCannotPerformReason).toMatch(/excluded/);
    expect((await view(t.tokens.OPERATOR, card.id)).viewerCanPerform).toBe(true);
  });

  it('manual cards are the customer\'s; a finished card is nobody\'s', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const { card } = await publishedCard(t, { kind: 'MANUAL', instructions: 'Rotate the VPN keys' });
    expect(await view(t.tokens.OPERATOR, card.id)).toMatchObject({ viewerCanPerform: true, viewerCannotPerformReason: null, viewerCanSkip: true });
    const e = await view(t.tokens.EXPERT, card.id);
    expect(e.viewerCanPerform).toBe(false);
    expect(e.viewerCannotPerformReason).toMatch(/customer/);
    await mutate(app, t.tokens.ADMIN, 'completeManualAction', { actionId: card.id }, 'action { id }');
    for (const role of ['OPERATOR', 'ADMIN'] as const) {
      const v = await view(t.tokens[role], card.id);
      expect(v).toMatchObject({ status: 'COMPLETED', viewerCanPerform: false, viewerCanSkip: false });
      expect(v.viewerCannotPerformReason).toMatch(/COMPLETED/);
    }
  });

  it('a one-click card in progress: nobody may press it again', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const { card } = await publishedCard(t, isolate);
    await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { id }');
    for (const role of ['OPERATOR', 'ADMIN'] as const) {
      const v = await view(t.tokens[role], card.id);
      expect(v).toMatchObject({ status: 'IN_PROGRESS', viewerCanPerform: false, viewerCanSkip: false });
      expect(v.viewerCannotPerformReason).toMatch(/in progress/);
    }
    expect(decodeGlobalID(card.id).typename).toBe('ActionCard');
  });
});
