// Incident edits (SPEC.md sections 3 and 7): tags, assignment and severity with their audit trail,
// optimistic concurrency, assignees of the right tenant, and comments.
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity, comments, incidents } from '../src/db/schema';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import type { UpdateIncidentInput } from './generated/graphql';
import { AddCommentMutation, IncidentActivityQuery, IncidentCommentsQuery, IngestMutation, UpdateIncidentMutation } from './ops';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const principalGid = (p: { id: string }) => encodeGlobalID('Principal', p.id);

async function freshIncident(over: Record<string, unknown> = {}) {
  const t = await newTenant(app);
  const r = await app.gql(IngestMutation, { input: incidentInput(over) as never }, t.tokens.INTEGRATION);
  const incident = r.data!.ingestIncident.incident!;
  return { t, id: incident.id, uuid: decodeGlobalID(incident.id).id, incident };
}

const update = (t: TenantFixture, input: UpdateIncidentInput, token = t.tokens.OPERATOR) =>
  app.gql(UpdateIncidentMutation, { input }, token);

async function activityOf(t: TenantFixture, id: string) {
  const r = await app.gql(IncidentActivityQuery, { id }, t.tokens.READER);
  return (r.data!.node as { activity: { totalCount: number; nodes: { field: string; from?: string | null; to?: string | null; actor?: { id: string } | null; actorSide?: string | null }[] } }).activity;
}

/** Everything a failed write must leave alone: the incident row, its activity and its comments. */
async function snapshot(uuid: string) {
  const db = app.database.db;
  return {
    incident: (await db.select().from(incidents).where(eq(incidents.id, uuid)))[0],
    activity: await db.select().from(activity).where(eq(activity.incidentId, uuid)),
    comments: await db.select().from(comments).where(eq(comments.incidentId, uuid)),
  };
}

describe('updateIncident', () => {
  it('sets custom tags (trimmed, once each) with an activity entry saying who changed what', async () => {
    const { t, id } = await freshIncident();
    const r = await update(t, { incidentId: id, tags: [' vip ', 'ransomware', 'vip'] });
    expect(r.data?.updateIncident).toMatchObject({ errors: [], incident: { tags: ['vip', 'ransomware'], version: 2 } });
    const log = await activityOf(t, id);
    expect(log.nodes.at(-1)).toMatchObject({
      field: 'TAGS',
      to: 'vip, ransomware',
      actor: { id: principalGid(t.principals.OPERATOR) },
      actorSide: 'CUSTOMER',
    });
    expect(log.nodes.at(-1)?.from ?? '').toBe('');

    const cleared = await update(t, { incidentId: id, tags: [] }, t.tokens.ADMIN);
    expect(cleared.data?.updateIncident.incident).toMatchObject({ tags: [], version: 3 });
    expect((await activityOf(t, id)).nodes.at(-1)).toMatchObject({ field: 'TAGS', from: 'vip, ransomware', actor: { id: principalGid(t.principals.ADMIN) } });
  });

  it('changing nothing writes nothing', async () => {
    const { t, id, uuid } = await freshIncident({ severity: 'LOW' });
    const before = await snapshot(uuid);
    const r = await update(t, { incidentId: id, severity: 'LOW', tags: [], assignment: 'UNASSIGNED' });
    expect(r.data?.updateIncident).toMatchObject({ errors: [], incident: { version: 1 } });
    expect(await snapshot(uuid)).toEqual(before);
  });

  it('changes severity, re-scores priority, and logs from and to', async () => {
    const { t, id, incident } = await freshIncident({ severity: 'MEDIUM' });
    const r = await update(t, { incidentId: id, severity: 'HIGH' }, t.tokens.EXPERT);
    expect(r.data?.updateIncident.incident).toMatchObject({ severity: 'HIGH', version: 2 });
    expect(r.data!.updateIncident.incident!.priorityScore).toBe(incident.priorityScore! + 20);
    expect((await activityOf(t, id)).nodes.at(-1)).toMatchObject({
      field: 'SEVERITY',
      from: 'MEDIUM',
      to: 'HIGH',
      actor: { id: principalGid(t.principals.EXPERT) },
      actorSide: 'EXPERTS',
    });
  });

  it('assigns to a named customer user, then to an expert, then to nobody', async () => {
    const { t, id } = await freshIncident();
    const toReader = await update(t, { incidentId: id, assigneeId: principalGid(t.principals.READER) });
    expect(toReader.data?.updateIncident).toMatchObject({
      errors: [],
      incident: { assignment: 'CUSTOMER', assignee: { id: principalGid(t.principals.READER) } },
    });
    let log = (await activityOf(t, id)).nodes;
    expect(log.slice(-2)).toMatchObject([
      { field: 'ASSIGNMENT', from: 'UNASSIGNED', to: 'CUSTOMER' },
      { field: 'ASSIGNEE', from: null, to: expect.any(String) },
    ]);

    const toExpert = await update(t, { incidentId: id, assignment: 'EXPERTS', assigneeId: principalGid(t.principals.EXPERT) });
    expect(toExpert.data?.updateIncident.incident).toMatchObject({ assignment: 'EXPERTS', assignee: { id: principalGid(t.principals.EXPERT) } });

    const toNobody = await update(t, { incidentId: id, assignment: 'UNASSIGNED' });
    expect(toNobody.data?.updateIncident.incident).toMatchObject({ assignment: 'UNASSIGNED', assignee: null, version: 4 });
    log = (await activityOf(t, id)).nodes;
    expect(log.slice(-2)).toMatchObject([
      { field: 'ASSIGNMENT', from: 'EXPERTS', to: 'UNASSIGNED' },
      { field: 'ASSIGNEE', to: null },
    ]);
    expect(log.slice(-2)[1].from).toBeTruthy();
  });

  it.each<[string, (t: TenantFixture) => Promise<Partial<UpdateIncidentInput>>, { code: string; field: string[] }]>([
    ['an assignee of another tenant', async () => ({ assigneeId: principalGid((await newTenant(app)).principals.OPERATOR) }), { code: 'NOT_FOUND', field: ['input', 'assigneeId'] }],
    ['an expert who does not serve the tenant', async () => ({ assigneeId: principalGid((await newTenant(app)).principals.EXPERT) }), { code: 'NOT_FOUND', field: ['input', 'assigneeId'] }],
    ['an assignee that never existed', async () => ({ assigneeId: encodeGlobalID('Principal', randomUUID()) }), { code: 'NOT_FOUND', field: ['input', 'assigneeId'] }],
    ['an integration as assignee', async (t) => ({ assigneeId: principalGid(t.principals.INTEGRATION) }), { code: 'NOT_FOUND', field: ['input', 'assigneeId'] }],
    ['a customer under EXPERTS', async (t) => ({ assignment: 'EXPERTS', assigneeId: principalGid(t.principals.OPERATOR) }), { code: 'INVALID_INPUT', field: ['input', 'assignment'] }],
    ['UNASSIGNED with an assignee', async (t) => ({ assignment: 'UNASSIGNED', assigneeId: principalGid(t.principals.OPERATOR) }), { code: 'INVALID_INPUT', field: ['input', 'assigneeId'] }],
    ['a malformed assignee id', async () => ({ assigneeId: 'nope' }), { code: 'INVALID_INPUT', field: ['input', 'assigneeId'] }],
    ['an incident id given as assignee', async (t) => ({ assigneeId: encodeGlobalID('Incident', t.tenant.id) }), { code: 'INVALID_INPUT', field: ['input', 'assigneeId'] }],
    ['51 tags', async () => ({ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }), { code: 'INVALID_INPUT', field: ['input', 'tags'] }],
    ['a tag of 101 characters', async () => ({ tags: ['ok', 'x'.repeat(101)] }), { code: 'INVALID_INPUT', field: ['input', 'tags', '1'] }],
    ['an empty tag', async () => ({ tags: ['ok', '  '] }), { code: 'INVALID_INPUT', field: ['input', 'tags', '1'] }],
  ])('refuses %s and writes nothing, not even the other changes', async (_label, make, error) => {
    const { t, id, uuid } = await freshIncident();
    const extra = await make(t);
    const before = await snapshot(uuid);
    const r = await update(t, { incidentId: id, severity: 'HIGH', ...extra });
    expect(r.errors).toBeUndefined();
    expect(r.data?.updateIncident.incident).toBeNull();
    expect(r.data?.updateIncident.errors).toHaveLength(1);
    expect(r.data?.updateIncident.errors[0]).toMatchObject(error);
    expect(r.data?.updateIncident.errors[0].message.length).toBeGreaterThan(10);
    expect(await snapshot(uuid)).toEqual(before);
  });

  it('a foreign assignee and a missing one get the same error', async () => {
    const { t, id } = await freshIncident();
    const foreign = await update(t, { incidentId: id, assigneeId: principalGid((await newTenant(app)).principals.READER) });
    const missing = await update(t, { incidentId: id, assigneeId: encodeGlobalID('Principal', randomUUID()) });
    expect(foreign).toEqual(missing);
  });

  it('an expert serving several tenants may be assigned in each', async () => {
    const { t, id } = await freshIncident();
    const other = await newTenant(app);
    const expert = await expertServing(app, [other.tenant, t.tenant]);
    const r = await update(t, { incidentId: id, assigneeId: principalGid(expert.principal) });
    expect(r.data?.updateIncident.incident).toMatchObject({ assignment: 'EXPERTS', assignee: { id: principalGid(expert.principal) } });
  });
});

describe('optimistic concurrency (version)', () => {
  it('accepts the current version and refuses a stale one with nothing written', async () => {
    const { t, id, uuid } = await freshIncident();
    const ok = await update(t, { incidentId: id, version: 1, tags: ['first'] });
    expect(ok.data?.updateIncident).toMatchObject({ errors: [], incident: { version: 2 } });
    const before = await snapshot(uuid);
    const stale = await update(t, { incidentId: id, version: 1, tags: ['second'], severity: 'HIGH' });
    expect(stale.data?.updateIncident).toEqual({
      incident: null,
      errors: [{ code: 'VERSION_CONFLICT', message: expect.stringMatching(/version 1, now 2/), field: ['input', 'version'] }],
    });
    expect(await snapshot(uuid)).toEqual(before);
    const ahead = await update(t, { incidentId: id, version: 99, tags: ['third'] });
    expect(ahead.data?.updateIncident.errors[0].code).toBe('VERSION_CONFLICT');
    expect(await snapshot(uuid)).toEqual(before);
  });

  it('of several writers holding the same version, exactly one wins', async () => {
    const { t, id, uuid } = await freshIncident();
    const tokens = [t.tokens.OPERATOR, t.tokens.ADMIN, t.tokens.EXPERT, t.tokens.OPERATOR, t.tokens.ADMIN, t.tokens.EXPERT];
    const results = await Promise.all(tokens.map((token, i) => update(t, { incidentId: id, version: 1, tags: [`writer-${i}`] }, token)));
    const winners = results.filter((r) => r.data?.updateIncident.errors.length === 0);
    const losers = results.filter((r) => r.data?.updateIncident.errors[0]?.code === 'VERSION_CONFLICT');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(tokens.length - 1);
    const { incident, activity: log } = await snapshot(uuid);
    expect(incident.version).toBe(2);
    expect(incident.customTags).toEqual(winners[0].data!.updateIncident.incident!.tags);
    expect(log.filter((a) => a.field === 'tags')).toHaveLength(1);
  });

  it('without a version, concurrent writers are serialised and none is lost', async () => {
    const { t, id, uuid } = await freshIncident();
    const results = await Promise.all(
      ['LOW', 'HIGH', 'INFORMATIONAL', 'MEDIUM', 'HIGH'].map((severity, i) =>
        update(t, { incidentId: id, severity: severity as never, tags: [`w${i}`] }),
      ),
    );
    expect(results.every((r) => r.data?.updateIncident.errors.length === 0)).toBe(true);
    const { incident, activity: log } = await snapshot(uuid);
    expect(incident.version).toBe(6);
    expect(log.filter((a) => a.field === 'tags')).toHaveLength(5);
  });
});

describe('comments', () => {
  it('accepts up to 30,000 characters and refuses 30,001 with nothing written', async () => {
    const { t, id, uuid } = await freshIncident();
    const max = await app.gql(AddCommentMutation, { input: { incidentId: id, body: 'x'.repeat(30_000) } }, t.tokens.OPERATOR);
    expect(max.data?.addComment).toMatchObject({ errors: [], incident: { version: 2, comments: { totalCount: 1 } } });
    const before = await snapshot(uuid);
    const over = await app.gql(AddCommentMutation, { input: { incidentId: id, body: 'y'.repeat(30_001) } }, t.tokens.OPERATOR);
    expect(over.data?.addComment).toEqual({
      incident: null,
      errors: [{ code: 'INVALID_INPUT', message: 'body is at most 30000 characters (got 30001)', field: ['input', 'body'] }],
    });
    const blank = await app.gql(AddCommentMutation, { input: { incidentId: id, body: ' \n\t ' } }, t.tokens.OPERATOR);
    expect(blank.data?.addComment.errors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'body'] }]);
    expect(await snapshot(uuid)).toEqual(before);
  });

  it('lists comments oldest first, with authors, and pages through them both ways', async () => {
    const { t, id } = await freshIncident();
    const authors = [t.tokens.OPERATOR, t.tokens.EXPERT, t.tokens.ADMIN, t.tokens.OPERATOR, t.tokens.EXPERT];
    for (const [i, token] of authors.entries()) {
      const r = await app.gql(AddCommentMutation, { input: { incidentId: id, body: `comment ${i}` } }, token);
      expect(r.data?.addComment.errors).toEqual([]);
    }
    const all = await app.gql(IncidentCommentsQuery, { id, first: 10 }, t.tokens.READER);
    const conn = (all.data!.node as { comments: { totalCount: number; edges: { node: { body: string; author: { id: string } | null } }[] } }).comments;
    expect(conn.totalCount).toBe(5);
    expect(conn.edges.map((e) => e.node.body)).toEqual(['comment 0', 'comment 1', 'comment 2', 'comment 3', 'comment 4']);
    expect(conn.edges[1].node.author?.id).toBe(principalGid(t.principals.EXPERT));

    type Conn = { pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string }; edges: { node: { body: string } }[] };
    const get = async (vars: Record<string, unknown>) =>
      ((await app.gql(IncidentCommentsQuery, { id, ...vars }, t.tokens.READER)).data!.node as { comments: Conn }).comments;
    const p1 = await get({ first: 2 });
    const p2 = await get({ first: 2, after: p1.pageInfo.endCursor });
    const p3 = await get({ first: 2, after: p2.pageInfo.endCursor });
    expect([p1, p2, p3].flatMap((p) => p.edges.map((e) => e.node.body.slice(-1)))).toEqual(['0', '1', '2', '3', '4']);
    expect([p1.pageInfo.hasNextPage, p3.pageInfo.hasNextPage]).toEqual([true, false]);
    const b1 = await get({ last: 2 });
    const b2 = await get({ last: 2, before: b1.pageInfo.startCursor });
    expect([...b2.edges, ...b1.edges].map((e) => e.node.body.slice(-1))).toEqual(['1', '2', '3', '4']);
    expect(b1.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

    const log = await activityOf(t, id);
    expect(log.nodes.filter((a) => a.field === 'COMMENT')).toHaveLength(5);
  });
});

describe('the activity log as the API shows it', () => {
  it('reads a stored field this schema does not name as OTHER, and every entry and comment resolves through node()', async () => {
    const { t, id, uuid } = await freshIncident();
    expect((await app.gql(AddCommentMutation, { input: { incidentId: id, body: 'look here' } }, t.tokens.OPERATOR)).data?.addComment.errors).toEqual([]);
    // an entry as another version of the service might have written it
    await app.database.db.insert(activity).values({ tenantId: t.tenant.id, incidentId: uuid, field: 'someFutureField', fromValue: 'a', toValue: 'b' });
    const r = await app.gql<any, any>(
      `query($id: ID!) { node(id: $id) { ... on Incident {
        comments(first: 10) { nodes { id body } }
        activity(first: 10) { nodes { id eventId field from to } } } } }`,
      { id },
      t.tokens.READER,
    );
    expect(r.errors).toBeUndefined();
    const log = r.data.node.activity.nodes as { id: string; eventId: string; field: string; from: string | null; to: string | null }[];
    expect(log.map((a) => a.field)).toEqual(['STATUS', 'COMMENT', 'OTHER']);
    expect(log[2]).toMatchObject({ from: 'a', to: 'b' });
    const [comment] = r.data.node.comments.nodes;
    // a COMMENT entry names the comment by its global id
    expect(log[1].to).toBe(comment.id);
    const nodes = await app.gql<any, any>(
      'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Comment { body } ... on Activity { eventId field } } }',
      { ids: [comment.id, ...log.map((a) => a.id)] },
      t.tokens.READER,
    );
    expect(nodes.errors).toBeUndefined();
    expect(nodes.data.nodes).toEqual([{ id: comment.id, body: 'look here' }, ...log.map((a) => ({ id: a.id, eventId: a.eventId, field: a.field }))]);
    // another tenant's principal sees none of them
    const other = await newTenant(app);
    const foreign = await app.gql<any, any>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [comment.id, log[0].id] }, other.tokens.READER);
    expect(foreign.data.nodes).toEqual([null, null]);
  });
});
