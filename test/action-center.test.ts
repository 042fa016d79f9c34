// The action center (SPEC.md section 4: "one list of all action cards across incidents,
// filterable by status and kind"): `responseActions(filter, first, after)`, scoped to the
// viewer's tenants, most recently changed first, paged without duplicates.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { mutate, summary, truePositive } from './helpers/response';

let app: TestApp;
// No executor: performed cards stay IN_PROGRESS, so every status below is deterministic.
beforeAll(async () => {
  app = await startApp({ execution: { enabled: false, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never);
});
afterAll(async () => {
  await app?.close();
});

const CARD = 'id kind status title incident { id tenant { id } }';

async function actions(token: string, args = 'first: 100', variables: Record<string, unknown> = {}) {
  const decl = Object.keys(variables).length ? `(${Object.keys(variables).map((k) => `$${k}: ${k === 'filter' ? 'ActionFilter' : 'String'}`).join(', ')})` : '';
  const r = await app.gql<any, any>(
    `query${decl} { responseActions(${args}) { totalCount edges { cursor node { ${CARD} } } pageInfo { hasNextPage endCursor } } }`,
    variables,
    token,
  );
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.responseActions as {
    totalCount: number;
    edges: { cursor: string; node: { id: string; kind: string; status: string; title: string; incident: { id: string; tenant: { id: string } } } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
const ids = (page: Awaited<ReturnType<typeof actions>>) => page.edges.map((e) => e.node.id).sort();

interface World {
  t: TenantFixture;
  incidents: string[];
  /** card ids by label */
  cards: Record<string, string>;
}

/**
 * A READER tenant with two published incidents and cards in every customer-reachable state:
 * PENDING, IN_PROGRESS (performed, no executor), COMPLETED (manual confirmed), SKIPPED.
 */
async function world(): Promise<World> {
  const t = await newTenant(app, { serviceAccessLevel: 'READER' });
  const inc1 = await truePositive(app, t);
  const inc2 = await truePositive(app, t);
  const p1 = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc1.id,
    summary,
    actions: [
      { kind: 'ISOLATE_DEVICE', targetId: inc1.devices[0].id },
      { kind: 'QUARANTINE_FILE', targetId: inc1.devices[0].files[0].id },
      { kind: 'MANUAL', instructions: 'Reset the password of jdoe' },
    ],
  });
  const p2 = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc2.id,
    summary,
    actions: [
      { kind: 'RESTRICT_APP_EXECUTION', targetId: inc2.devices[0].id },
      { kind: 'MANUAL', instructions: 'Block the sender domain' },
    ],
  });
  expect(p1.data.publishManagedResponse.errors).toEqual([]);
  expect(p2.data.publishManagedResponse.errors).toEqual([]);
  const [isolate, quarantine, reset] = p1.data.publishManagedResponse.incident.managedResponse.actions.map((c: any) => c.id);
  const [restrict, block] = p2.data.publishManagedResponse.incident.managedResponse.actions.map((c: any) => c.id);
  expect((await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: isolate }, 'action { status }')).data.performAction.action.status).toBe('IN_PROGRESS');
  expect((await mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: reset }, 'action { status }')).data.completeManualAction.action.status).toBe('COMPLETED');
  expect((await mutate(app, t.tokens.ADMIN, 'skipAction', { actionId: block, reason: 'done by email team' }, 'action { status }')).data.skipAction.action.status).toBe('SKIPPED');
  return { t, incidents: [inc1.id, inc2.id], cards: { isolate, quarantine, reset, restrict, block } };
}

let A: World;
let B: World;
beforeAll(async () => {
  A = await world();
  B = await world();
});

describe('responseActions', () => {
  it('lists every card across the tenant\'s incidents, and never another tenant\'s', async () => {
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) {
      const page = await actions(A.t.tokens[role]);
      expect(page.totalCount, role).toBe(5);
      expect(ids(page), role).toEqual(Object.values(A.cards).sort());
      expect(page.edges.every((e) => e.node.incident.tenant.id === A.t.tenantGid)).toBe(true);
    }
    const b = await actions(B.t.tokens.READER);
    expect(ids(b)).toEqual(Object.values(B.cards).sort());
    expect(ids(b).some((id) => Object.values(A.cards).includes(id))).toBe(false);
  });

  it('most recently changed first', async () => {
    const page = await actions(A.t.tokens.READER);
    // the last changes were: skip "block", complete "reset", perform "isolate"
    expect(page.edges.slice(0, 3).map((e) => e.node.id)).toEqual([A.cards.block, A.cards.reset, A.cards.isolate]);
  });

  it('filters by status and kind (any value within a filter, every filter given) and by incident', async () => {
    const tok = A.t.tokens.OPERATOR;
    const f = async (filter: Record<string, unknown>) => {
      const page = await actions(tok, 'filter: $filter, first: 100', { filter });
      expect(page.totalCount).toBe(page.edges.length);
      return ids(page);
    };
    const { isolate, quarantine, reset, restrict, block } = A.cards;
    expect(await f({ status: ['PENDING'] })).toEqual([quarantine, restrict].sort());
    expect(await f({ status: ['IN_PROGRESS'] })).toEqual([isolate]);
    expect(await f({ status: ['COMPLETED', 'SKIPPED'] })).toEqual([reset, block].sort());
    expect(await f({ status: ['FAILED'] })).toEqual([]);
    expect(await f({ kind: ['MANUAL'] })).toEqual([reset, block].sort());
    expect(await f({ kind: ['ISOLATE_DEVICE', 'QUARANTINE_FILE'] })).toEqual([isolate, quarantine].sort());
    expect(await f({ kind: ['MANUAL'], status: ['SKIPPED'] })).toEqual([block]);
    expect(await f({ kind: ['MANUAL'], status: ['PENDING'] })).toEqual([]);
    expect(await f({ incidentId: A.incidents[0] })).toEqual([isolate, quarantine, reset].sort());
    expect(await f({ incidentId: A.incidents[1], status: ['PENDING'] })).toEqual([restrict]);
    expect(await f({ status: [], kind: [] })).toEqual(Object.values(A.cards).sort()); // empty lists filter nothing
  });

  it('another tenant\'s incident or tenant in the filter gives an empty list, like ids that never existed', async () => {
    const tok = A.t.tokens.READER;
    const ghostIncident = encodeGlobalID('Incident', '00000000-0000-4000-8000-000000000000');
    const ghostTenant = encodeGlobalID('Tenant', '00000000-0000-4000-8000-000000000000');
    for (const filter of [{ incidentId: B.incidents[0] }, { incidentId: ghostIncident }, { tenantIds: [B.t.tenantGid] }, { tenantIds: [ghostTenant] }]) {
      const page = await actions(tok, 'filter: $filter, first: 100', { filter });
      expect(page, JSON.stringify(filter)).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    }
    // naming its own tenant and a foreign one keeps only its own
    const mixed = await actions(tok, 'filter: $filter, first: 100', { filter: { tenantIds: [A.t.tenantGid, B.t.tenantGid] } });
    expect(ids(mixed)).toEqual(Object.values(A.cards).sort());
    // a malformed id is bad input, not an empty list
    const bad = await app.gql<any, any>(`{ responseActions(filter: { incidentId: "nope" }) { totalCount } }`, {}, tok);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages with first/after: every card once, in order, even while cards change between pages', async () => {
    const tok = A.t.tokens.READER;
    const all = (await actions(tok)).edges.map((e) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    const pages: boolean[] = [];
    for (let guard = 0; guard < 10; guard++) {
      const page = await actions(tok, after ? 'first: 2, after: $after' : 'first: 2', after ? { after } : {});
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map((e) => e.node.id));
      pages.push(page.pageInfo.hasNextPage);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    expect(pages).toEqual([true, true, false]);

    // a card on the first page changes while the client pages on: it moves to the front, it is not seen twice
    const first = await actions(tok, 'first: 2');
    const moved = first.edges[1].node.id;
    await app.database.query(`update action_cards set updated_at = now() + interval '1 second' where id = $1`, [decodeGlobalID(moved).id]);
    const restIds: string[] = [];
    let cursor = first.pageInfo.endCursor;
    for (let guard = 0; guard < 10 && cursor; guard++) {
      const page = await actions(tok, 'first: 2, after: $after', { after: cursor });
      restIds.push(...page.edges.map((e) => e.node.id));
      cursor = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    }
    const combined = [...first.edges.map((e) => e.node.id), ...restIds];
    expect(new Set(combined).size).toBe(combined.length);
    expect(combined.sort()).toEqual([...all].sort());

    const huge = await app.gql<any, any>(`{ responseActions(first: 101) { totalCount } }`, {}, tok);
    expect(huge.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('an expert sees the cards of every tenant it serves, narrowed by tenantIds; no more', async () => {
    const both = await expertServing(app, [A.t.tenant, B.t.tenant]);
    const everything = await actions(both.token);
    expect(ids(everything)).toEqual([...Object.values(A.cards), ...Object.values(B.cards)].sort());
    const onlyB = await actions(both.token, 'filter: $filter, first: 100', { filter: { tenantIds: [B.t.tenantGid] } });
    expect(ids(onlyB)).toEqual(Object.values(B.cards).sort());
    const pendingManualOfA = await actions(both.token, 'filter: $filter, first: 100', { filter: { tenantIds: [A.t.tenantGid], status: ['PENDING', 'IN_PROGRESS'] } });
    expect(ids(pendingManualOfA)).toEqual([A.cards.isolate, A.cards.quarantine, A.cards.restrict].sort());
    // A's own expert serves only A
    const aOnly = await actions(A.t.tokens.EXPERT);
    expect(ids(aOnly)).toEqual(Object.values(A.cards).sort());
    const aAsksB = await actions(A.t.tokens.EXPERT, 'filter: $filter, first: 100', { filter: { tenantIds: [B.t.tenantGid] } });
    expect(aAsksB.totalCount).toBe(0);
    // an expert serving nobody sees nothing
    const idle = await expertServing(app, []);
    expect((await actions(idle.token)).totalCount).toBe(0);
  });

  it('needs a token', async () => {
    const r = await app.gql<any, any>(`{ responseActions(first: 5) { totalCount } }`, {}, null);
    expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(r.data ?? null).toBeNull();
  });
});
