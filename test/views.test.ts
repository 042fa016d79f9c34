// Saved views (SPEC.md section 8): private or shared with the tenant, the queue through a view
// (the same rows as the same filter and order), every filter field stored typed and given back,
// owner-only changes, names, the filter checked at save and again each time the view is used.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savedViews, incidents, type IncidentRow } from '../src/db/schema';
import { setPrincipalDisabled, unserveTenants, principalWithToken } from '../src/domain/admin';
import { MAX_VIEWS_PER_PRINCIPAL } from '../src/domain/views';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, incidentInput, newTenant, type TenantFixture } from './helpers/factory';

// ---- typed documents (string documents with their result shapes: the generated types are the lead's)

interface FilterValue {
  status: string[] | null;
  severity: string[] | null;
  assignment: string[] | null;
  assigneeId: string | null;
  tags: string[] | null;
  classification: string[] | null;
  determination: string[] | null;
  createdAfter: string | null;
  createdBefore: string | null;
  updatedAfter: string | null;
  updatedBefore: string | null;
  search: string | null;
  tenantIds: string[] | null;
}
type FilterInput = Partial<FilterValue>;
interface OrderInput {
  field: 'LAST_UPDATE' | 'CREATED' | 'SEVERITY' | 'PRIORITY';
  direction: 'ASC' | 'DESC';
}
interface View {
  id: string;
  name: string;
  shared: boolean;
  owner: { id: string; name: string };
  filter: FilterValue;
  orderBy: OrderInput | null;
  createdAt: string;
  updatedAt: string;
  viewerCanEdit: boolean;
}
interface UserErr {
  code: string;
  message: string;
  field: string[] | null;
}
interface Queue {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: { id: string }[];
}

const VIEW = `id name shared owner { id name } orderBy { field direction } createdAt updatedAt viewerCanEdit
  filter { status severity assignment assigneeId tags classification determination createdAfter createdBefore updatedAfter updatedBefore search tenantIds }`;

let app: TestApp;
let T: TenantFixture; // the tenant under test
let U: TenantFixture; // another tenant
const inc: Record<string, string> = {};

async function gql<T>(doc: string, variables: Record<string, unknown>, token: string): Promise<GqlResult<T>> {
  return app.gql<T, Record<string, unknown>>(doc, variables, token);
}

async function create(token: string, input: Record<string, unknown>) {
  const r = await gql<{ createSavedView: { view: View | null; errors: UserErr[] } }>(
    'mutation($input: CreateSavedViewInput!) { createSavedView(input: $input) { view { ' + VIEW + ' } errors { code message field } } }',
    { input },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data!.createSavedView;
}

/** Create, expecting success. */
async function saved(token: string, input: Record<string, unknown>): Promise<View> {
  const r = await create(token, input);
  expect(r.errors).toEqual([]);
  return r.view!;
}

async function update(token: string, input: Record<string, unknown>) {
  const r = await gql<{ updateSavedView: { view: View | null; errors: UserErr[] } }>(
    'mutation($input: UpdateSavedViewInput!) { updateSavedView(input: $input) { view { ' + VIEW + ' } errors { code message field } } }',
    { input },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data!.updateSavedView;
}

async function remove(token: string, viewId: string) {
  const r = await gql<{ deleteSavedView: { deletedId: string | null; errors: UserErr[] } }>(
    'mutation($input: DeleteSavedViewInput!) { deleteSavedView(input: $input) { deletedId errors { code message field } } }',
    { input: { viewId } },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data!.deleteSavedView;
}

async function list(token: string): Promise<View[]> {
  const r = await gql<{ savedViews: View[] }>('{ savedViews { ' + VIEW + ' } }', {}, token);
  expect(r.errors).toBeUndefined();
  return r.data!.savedViews;
}

async function node(token: string, id: string): Promise<View | null> {
  const r = await gql<{ node: View | null }>('query($id: ID!) { node(id: $id) { ... on SavedView { ' + VIEW + ' } } }', { id }, token);
  expect(r.errors).toBeUndefined();
  return r.data!.node;
}

const QUEUE = `query($viewId: ID, $filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String) {
  incidents(viewId: $viewId, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id } } }`;

async function queue(token: string, args: { viewId?: string; filter?: FilterInput | null; orderBy?: OrderInput | null; first?: number; after?: string }) {
  return gql<{ incidents: Queue }>(QUEUE, { first: 50, ...args }, token);
}

/** The ids the queue returns, in order (no error expected). */
async function ids(token: string, args: Parameters<typeof queue>[1]): Promise<string[]> {
  const r = await queue(token, args);
  expect(r.errors).toBeUndefined();
  expect(r.data!.incidents.totalCount).toBe(r.data!.incidents.nodes.length);
  return r.data!.incidents.nodes.map((n) => n.id);
}

/** The one top-level error of a queue request. */
async function queueError(token: string, args: Parameters<typeof queue>[1]) {
  const r = await queue(token, args);
  expect(r.data?.incidents ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  return r.errors![0];
}

const day = (d: number, h = 0) => new Date(Date.UTC(2026, 1, d, h));
const gid = (type: string, id: string) => encodeGlobalID(type, id);
const localOf = (globalId: string) => decodeGlobalID(globalId).id;

beforeAll(async () => {
  // no token cache: an expert who stops serving a tenant is seen at once
  app = await startApp({ tokenCacheTtlMs: 0 });
  T = await newTenant(app);
  U = await newTenant(app);
  const fixtures: Record<string, { title: string; severity: string }> = {
    a: { title: 'Ransomware on file server', severity: 'HIGH' },
    b: { title: 'Phishing email reported', severity: 'MEDIUM' },
    c: { title: 'Suspicious PowerShell', severity: 'LOW' },
    d: { title: 'Credential dumping', severity: 'HIGH' },
    e: { title: 'Test alert', severity: 'MEDIUM' },
  };
  for (const [key, f] of Object.entries(fixtures)) {
    const r = await gql<{ ingestIncident: { incident: { id: string }; errors: UserErr[] } }>(
      'mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id } errors { code message field } } }',
      { input: incidentInput({ title: f.title, severity: f.severity as 'HIGH' }) },
      T.tokens.INTEGRATION,
    );
    expect(r.data?.ingestIncident.errors).toEqual([]);
    inc[key] = r.data!.ingestIncident.incident.id;
  }
  // the other tenant has a look-alike that must never appear through T's views
  await gql('mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { errors { code } } }', { input: incidentInput({ title: 'Ransomware on file server', severity: 'HIGH' }) }, U.tokens.INTEGRATION);

  const edit = async (key: string, input: Record<string, unknown>) => {
    const r = await gql<{ updateIncident: { errors: UserErr[] } }>(
      'mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { errors { code message field } } }',
      { input: { incidentId: inc[key], ...input } },
      T.tokens.OPERATOR,
    );
    expect(r.data?.updateIncident.errors).toEqual([]);
  };
  await edit('a', { tags: ['vip'] });
  await edit('b', { tags: ['vip', 'phish'], assigneeId: gid('Principal', T.principals.OPERATOR.id) });
  await edit('d', { tags: ['vip'] });
  await edit('e', { assigneeId: gid('Principal', T.principals.EXPERT.id) });
  const set = (key: string, fields: Partial<IncidentRow>) => app.database.db.update(incidents).set(fields).where(eq(incidents.id, localOf(inc[key])));
  await set('a', { status: 'ACTIVE', createdAt: day(1), updatedAt: day(10), priorityScore: 40 });
  await set('b', { status: 'IN_PROGRESS', createdAt: day(2), updatedAt: day(9), priorityScore: 90 });
  await set('c', { status: 'AWAITING_CUSTOMER_ACTION', classification: 'TRUE_POSITIVE', determination: 'MALWARE', createdAt: day(3), updatedAt: day(8), priorityScore: 10 });
  await set('d', { status: 'RESOLVED', classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', createdAt: day(4), updatedAt: day(7), priorityScore: 70 });
  await set('e', { status: 'ACTIVE', createdAt: day(5), updatedAt: day(6), priorityScore: 20 });
});
afterAll(async () => {
  await app?.close();
});

describe('private and shared views', () => {
  let priv: View;
  let shared: View;
  beforeAll(async () => {
    priv = await saved(T.tokens.OPERATOR, { name: 'My high ones', filter: { severity: ['HIGH'] } });
    shared = await saved(T.tokens.OPERATOR, { name: 'Team VIP', filter: { tags: ['vip'] }, orderBy: { field: 'CREATED', direction: 'ASC' }, shared: true });
  });

  it('the owner sees both and may edit them', async () => {
    expect(priv).toMatchObject({ shared: false, owner: { id: gid('Principal', T.principals.OPERATOR.id) }, viewerCanEdit: true });
    const mine = await list(T.tokens.OPERATOR);
    expect(mine.map((v) => v.name)).toEqual(expect.arrayContaining(['My high ones', 'Team VIP']));
    expect(await node(T.tokens.OPERATOR, priv.id)).toMatchObject({ id: priv.id, name: 'My high ones' });
  });

  it('another user of the tenant sees the shared view (read-only), not the private one', async () => {
    for (const role of ['READER', 'ADMIN'] as const) {
      const theirs = await list(T.tokens[role]);
      expect(theirs.map((v) => v.id)).toContain(shared.id);
      expect(theirs.map((v) => v.id)).not.toContain(priv.id);
      expect(theirs.find((v) => v.id === shared.id)).toMatchObject({ viewerCanEdit: false, owner: { name: T.principals.OPERATOR.name } });
      expect(await node(T.tokens[role], shared.id)).toMatchObject({ id: shared.id });
      expect(await node(T.tokens[role], priv.id)).toBeNull();
    }
    expect(await ids(T.tokens.READER, { viewId: shared.id })).toEqual([inc.a, inc.b, inc.d]);
  });

  it("the tenant's experts do not belong to it: they see neither", async () => {
    expect((await list(T.tokens.EXPERT)).map((v) => v.id)).not.toContain(shared.id);
    expect(await node(T.tokens.EXPERT, shared.id)).toBeNull();
  });

  it('another tenant sees neither, and the queue says "No such saved view" exactly as for a missing one', async () => {
    expect(await list(U.tokens.ADMIN)).toEqual([]);
    const missing = await queueError(U.tokens.READER, { viewId: gid('SavedView', '00000000-0000-4000-8000-000000000000') });
    expect(missing).toMatchObject({ message: 'No such saved view', extensions: { code: 'BAD_USER_INPUT', field: ['viewId'] } });
    for (const v of [priv, shared]) {
      expect(await node(U.tokens.ADMIN, v.id)).toBeNull();
      const e = await queueError(U.tokens.READER, { viewId: v.id });
      expect({ message: e.message, extensions: e.extensions }).toEqual({ message: missing.message, extensions: missing.extensions });
    }
    // another principal's private view, in the same tenant, too
    const e = await queueError(T.tokens.READER, { viewId: priv.id });
    expect({ message: e.message, extensions: e.extensions }).toEqual({ message: missing.message, extensions: missing.extensions });
    // the INTEGRATION role has no views at all
    const i = await queueError(T.tokens.INTEGRATION, { viewId: shared.id });
    expect(i.message).toBe('No such saved view');
    // a malformed id is bad input too
    expect((await queueError(T.tokens.READER, { viewId: 'nope' })).extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the queue through a view', () => {
  // (filters as functions: the fixtures exist only once beforeAll has run)
  it.each<[string, () => FilterInput, OrderInput | null]>([
    ['no filter, default order', () => ({}), null],
    ['severity and tags, oldest first', () => ({ severity: ['HIGH', 'MEDIUM'], tags: ['vip'] }), { field: 'CREATED', direction: 'ASC' }],
    ['status, by priority', () => ({ status: ['ACTIVE', 'IN_PROGRESS'] }), { field: 'PRIORITY', direction: 'DESC' }],
    ['assignment or the named assignee', () => ({ assignment: ['UNASSIGNED'], assigneeId: gid('Principal', T.principals.OPERATOR.id) }), { field: 'SEVERITY', direction: 'ASC' }],
    ['classification, dates, search', () => ({ classification: ['TRUE_POSITIVE', 'FALSE_POSITIVE'], createdAfter: day(3).toISOString(), search: 'c' }), { field: 'LAST_UPDATE', direction: 'ASC' }],
  ])('%s: exactly what the same filter and order return', async (label, filterOf, orderBy) => {
    const filter = filterOf();
    const view = await saved(T.tokens.OPERATOR, { name: `Queue ${label}`, filter, orderBy });
    const direct = await ids(T.tokens.OPERATOR, { filter, orderBy });
    expect(await ids(T.tokens.OPERATOR, { viewId: view.id })).toEqual(direct);
    // and page by page, with the same cursors
    const first = await queue(T.tokens.OPERATOR, { viewId: view.id, first: 2 });
    const same = await queue(T.tokens.OPERATOR, { filter, orderBy, first: 2 });
    expect(first.data).toEqual(same.data);
    if (first.data!.incidents.pageInfo.hasNextPage) {
      const after = first.data!.incidents.pageInfo.endCursor!;
      expect((await queue(T.tokens.OPERATOR, { viewId: view.id, first: 2, after })).data).toEqual(
        (await queue(T.tokens.OPERATOR, { filter, orderBy, first: 2, after })).data,
      );
    }
  });

  it('an explicit filter field or order overrides the view, field by field; an explicit null clears one', async () => {
    const view = await saved(T.tokens.OPERATOR, { name: 'Override me', filter: { severity: ['HIGH'], tags: ['vip'] }, orderBy: { field: 'CREATED', direction: 'ASC' } });
    expect(await ids(T.tokens.OPERATOR, { viewId: view.id })).toEqual([inc.a, inc.d]);
    // severity replaced, tags kept from the view
    expect(await ids(T.tokens.OPERATOR, { viewId: view.id, filter: { severity: ['MEDIUM'] } })).toEqual(
      await ids(T.tokens.OPERATOR, { filter: { severity: ['MEDIUM'], tags: ['vip'] }, orderBy: { field: 'CREATED', direction: 'ASC' } }),
    );
    // tags cleared, severity kept; the order replaced
    const desc: OrderInput = { field: 'CREATED', direction: 'DESC' };
    expect(await ids(T.tokens.OPERATOR, { viewId: view.id, filter: { tags: null }, orderBy: desc })).toEqual(await ids(T.tokens.OPERATOR, { filter: { severity: ['HIGH'] }, orderBy: desc }));
    // a filter field the view does not set narrows it further
    expect(await ids(T.tokens.OPERATOR, { viewId: view.id, filter: { status: ['RESOLVED'] } })).toEqual([inc.d]);
  });
});

describe('the filter, stored typed', () => {
  it('gives every field back as it was saved, ids as global ids, and it works as an IncidentFilter again', async () => {
    const expert = await expertServing(app, [T.tenant, U.tenant]);
    const filter: FilterValue = {
      status: ['ACTIVE', 'RESOLVED'],
      severity: ['HIGH'],
      assignment: ['UNASSIGNED', 'CUSTOMER'],
      assigneeId: gid('Principal', T.principals.OPERATOR.id),
      tags: ['vip', 'a,b "c" {d}\\e'],
      classification: ['UNKNOWN', 'FALSE_POSITIVE'],
      determination: ['NOT_MALICIOUS', 'UNKNOWN'],
      createdAfter: '2026-02-01T00:00:00.000Z',
      createdBefore: '2026-02-28T23:59:59.999Z',
      updatedAfter: '2026-02-02T00:00:00.000Z',
      updatedBefore: '2026-03-01T12:30:00.000Z',
      search: 'ransomware',
      tenantIds: [T.tenantGid, U.tenantGid],
    };
    const view = await saved(expert.token, { name: 'Every field', filter, orderBy: { field: 'PRIORITY', direction: 'ASC' } });
    expect(view.filter).toEqual(filter);
    expect(view.orderBy).toEqual({ field: 'PRIORITY', direction: 'ASC' });
    expect((await node(expert.token, view.id))!.filter).toEqual(filter);
    // an offset and a missing millisecond part are the same instant, given back in UTC
    const offset = await saved(expert.token, { name: 'Offset', filter: { createdAfter: '2026-02-01T01:00:00+01:00' } });
    expect(offset.filter.createdAfter).toBe('2026-02-01T00:00:00.000Z');
    // an unset field is null, never an empty list
    expect(offset.filter.status).toBeNull();
    expect(offset.orderBy).toBeNull();
    // what the view returns is what its filter value returns when passed back
    const back = await ids(expert.token, { filter: view.filter, orderBy: view.orderBy });
    expect(await ids(expert.token, { viewId: view.id })).toEqual(back);
    expect(back).toEqual([inc.a]);
  });

  it('stores lists de-duplicated, tags and search trimmed, and blanks as unset', async () => {
    const v = await saved(T.tokens.READER, { name: 'Tidy', filter: { severity: ['HIGH', 'HIGH'], tags: [' vip ', 'vip'], search: '  ransom  ', status: [] } });
    expect(v.filter).toMatchObject({ severity: ['HIGH'], tags: ['vip'], search: 'ransom', status: null });
    const blank = await saved(T.tokens.READER, { name: 'Blank search', filter: { search: '   ' } });
    expect(blank.filter.search).toBeNull();
  });
});

describe('changing a view: the owner only', () => {
  it('the owner updates each part; a field left out stays, null clears the filter or the order', async () => {
    const v = await saved(T.tokens.ADMIN, { name: 'Changing', filter: { severity: ['HIGH'] }, orderBy: { field: 'CREATED', direction: 'ASC' } });
    const renamed = await update(T.tokens.ADMIN, { viewId: v.id, name: '  Changed  ' });
    expect(renamed.errors).toEqual([]);
    expect(renamed.view).toMatchObject({ name: 'Changed', filter: { severity: ['HIGH'] }, orderBy: { field: 'CREATED', direction: 'ASC' }, shared: false });
    expect(new Date(renamed.view!.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(v.updatedAt).getTime());
    const refiltered = await update(T.tokens.ADMIN, { viewId: v.id, filter: { status: ['ACTIVE'] }, shared: true });
    expect(refiltered.view).toMatchObject({ shared: true, filter: { status: ['ACTIVE'], severity: null }, orderBy: { field: 'CREATED', direction: 'ASC' } });
    const cleared = await update(T.tokens.ADMIN, { viewId: v.id, filter: null, orderBy: null });
    expect(cleared.view).toMatchObject({ filter: { status: null }, orderBy: null, name: 'Changed' });
    expect(await ids(T.tokens.READER, { viewId: v.id })).toEqual(await ids(T.tokens.READER, {}));
  });

  it("a tenant-mate may not change another's shared view (FORBIDDEN), nor see a private one (NOT_FOUND)", async () => {
    const shared = await saved(T.tokens.ADMIN, { name: 'Admin shared', filter: { severity: ['LOW'] }, shared: true });
    const priv = await saved(T.tokens.ADMIN, { name: 'Admin private' });
    const forbidden = await update(T.tokens.OPERATOR, { viewId: shared.id, name: 'Mine now' });
    expect(forbidden).toMatchObject({ view: null, errors: [{ code: 'FORBIDDEN', field: ['input', 'viewId'] }] });
    expect(forbidden.errors[0].message).toMatch(/only its owner/i);
    expect((await remove(T.tokens.OPERATOR, shared.id)).errors).toMatchObject([{ code: 'FORBIDDEN' }]);
    for (const [token, id] of [
      [T.tokens.OPERATOR, priv.id],
      [U.tokens.ADMIN, shared.id],
      [U.tokens.ADMIN, priv.id],
      [T.tokens.EXPERT, shared.id],
    ] as const) {
      const u = await update(token, { viewId: id, name: 'Mine now' });
      expect(u.errors).toEqual([{ code: 'NOT_FOUND', message: 'Saved view was not found', field: ['input', 'viewId'] }]);
      expect((await remove(token, id)).errors).toEqual([{ code: 'NOT_FOUND', message: 'Saved view was not found', field: ['input', 'viewId'] }]);
    }
    // nothing changed
    expect(await node(T.tokens.ADMIN, shared.id)).toMatchObject({ name: 'Admin shared' });
    expect(await node(T.tokens.ADMIN, priv.id)).toMatchObject({ name: 'Admin private' });
  });

  it('the owner deletes it; then it is gone for everyone', async () => {
    const v = await saved(T.tokens.OPERATOR, { name: 'Short-lived', shared: true });
    expect(await remove(T.tokens.OPERATOR, v.id)).toEqual({ deletedId: v.id, errors: [] });
    expect(await node(T.tokens.OPERATOR, v.id)).toBeNull();
    expect(await node(T.tokens.READER, v.id)).toBeNull();
    expect((await queueError(T.tokens.READER, { viewId: v.id })).message).toBe('No such saved view');
    expect((await remove(T.tokens.OPERATOR, v.id)).errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    // the name is free again
    await saved(T.tokens.OPERATOR, { name: 'Short-lived' });
  });
});

describe('names', () => {
  it('are trimmed, 1 to 100 characters, and unique per owner whatever the case', async () => {
    const token = T.tokens.READER;
    const v = await saved(token, { name: '  Morning triage  ' });
    expect(v.name).toBe('Morning triage');
    expect((await create(token, { name: 'MORNING TRIAGE' })).errors).toEqual([
      { code: 'ALREADY_EXISTS', message: 'You already have a saved view named "MORNING TRIAGE"', field: ['input', 'name'] },
    ]);
    expect((await create(token, { name: '   ' })).errors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'name'] }]);
    expect((await create(token, { name: 'x'.repeat(101) })).errors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'name'] }]);
    expect((await saved(token, { name: 'y'.repeat(100) })).name).toHaveLength(100);
    // another principal may use the same name
    await saved(T.tokens.ADMIN, { name: 'Morning triage' });
    // renaming onto another of one's views clashes; onto itself in another case does not
    const other = await saved(token, { name: 'Evening triage' });
    expect((await update(token, { viewId: other.id, name: 'morning triage' })).errors).toMatchObject([{ code: 'ALREADY_EXISTS' }]);
    expect((await update(token, { viewId: v.id, name: 'MORNING triage' })).view?.name).toBe('MORNING triage');
  });

  it(`a principal keeps at most ${MAX_VIEWS_PER_PRINCIPAL} views`, async () => {
    const p = await principalWithToken(app.database.db, { tenantId: T.tenant.id, role: 'READER', name: 'Hoarder' });
    await app.database.db.insert(savedViews).values(
      Array.from({ length: MAX_VIEWS_PER_PRINCIPAL }, (_, i) => ({ tenantId: T.tenant.id, ownerId: p.principal.id, name: `View ${i}` })),
    );
    const r = await create(p.token, { name: 'One too many' });
    expect(r.errors).toMatchObject([{ code: 'INVALID_INPUT', message: expect.stringContaining(`${MAX_VIEWS_PER_PRINCIPAL} saved views`) }]);
    // (the list also holds the views others share with the tenant)
    const own = async () => (await list(p.token)).filter((v) => v.owner.id === gid('Principal', p.principal.id));
    expect(await own()).toHaveLength(MAX_VIEWS_PER_PRINCIPAL);
    // deleting one makes room
    expect((await remove(p.token, (await own())[0].id)).errors).toEqual([]);
    await saved(p.token, { name: 'One too many' });
  });
});

describe('invalid filters are refused at save, nothing written', () => {
  it.each<[string, 'customer' | 'expert', () => Record<string, unknown>, Partial<UserErr>]>([
    ['tenantIds from a customer (the queue\'s rule)', 'customer', () => ({ filter: { tenantIds: [T.tenantGid] } }),
      { code: 'INVALID_INPUT', message: 'tenantIds is for experts; customers always see their own tenant', field: ['input', 'filter', 'tenantIds'] }],
    ['a search longer than the queue takes', 'customer', () => ({ filter: { search: 'x'.repeat(201) } }), { code: 'INVALID_INPUT', field: ['input', 'filter', 'search'] }],
    ["another tenant's assignee", 'customer', () => ({ filter: { assigneeId: gid('Principal', U.principals.OPERATOR.id) } }),
      { code: 'NOT_FOUND', message: 'Assignee was not found', field: ['input', 'filter', 'assigneeId'] }],
    ['an assignee that never existed', 'customer', () => ({ filter: { assigneeId: gid('Principal', '00000000-0000-4000-8000-000000000000') } }),
      { code: 'NOT_FOUND', message: 'Assignee was not found', field: ['input', 'filter', 'assigneeId'] }],
    ['a malformed assignee id', 'customer', () => ({ filter: { assigneeId: gid('Tenant', T.tenant.id) } }), { code: 'INVALID_INPUT', field: ['input', 'filter', 'assigneeId'] }],
    ['too many tags', 'customer', () => ({ filter: { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) } }), { code: 'INVALID_INPUT', field: ['input', 'filter', 'tags'] }],
    ['a tenant the expert does not serve', 'expert', () => ({ filter: { tenantIds: [T.tenantGid, U.tenantGid] } }),
      { code: 'NOT_FOUND', message: 'Tenant was not found', field: ['input', 'filter', 'tenantIds', '1'] }],
    ["a shared expert's view", 'expert', () => ({ shared: true }), { code: 'INVALID_INPUT', field: ['input', 'shared'] }],
  ])('%s', async (_label, who, input, error) => {
    const token = who === 'customer' ? T.tokens.OPERATOR : T.tokens.EXPERT;
    const before = (await list(token)).length;
    const r = await create(token, { name: `Refused ${Math.random()}`, ...input() });
    expect(r.view).toBeNull();
    expect(r.errors).toMatchObject([error]);
    expect((await list(token)).length).toBe(before);
  });

  it('a disabled assignee, and an update to a bad filter, likewise', async () => {
    const gone = await principalWithToken(app.database.db, { tenantId: T.tenant.id, role: 'OPERATOR', name: 'Gone Gina' });
    await setPrincipalDisabled(app.database.db, gone.principal.id, true);
    const r = await create(T.tokens.OPERATOR, { name: 'Gina', filter: { assigneeId: gid('Principal', gone.principal.id) } });
    expect(r.errors).toEqual([{ code: 'INVALID_INPUT', message: 'filter.assigneeId: Gone Gina is disabled', field: ['input', 'filter', 'assigneeId'] }]);
    const v = await saved(T.tokens.OPERATOR, { name: 'Fine so far', filter: { severity: ['LOW'] } });
    const u = await update(T.tokens.OPERATOR, { viewId: v.id, filter: { tenantIds: [T.tenantGid] } });
    expect(u.errors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'filter', 'tenantIds'] }]);
    expect((await node(T.tokens.OPERATOR, v.id))!.filter.severity).toEqual(['LOW']);
  });
});

describe('a view that no longer applies', () => {
  it('an assignee since disabled: a clear error naming the view; overriding the assignee repairs it', async () => {
    const p = await principalWithToken(app.database.db, { tenantId: T.tenant.id, role: 'OPERATOR', name: 'Leaving Lee' });
    const v = await saved(T.tokens.OPERATOR, { name: "Lee's queue", filter: { assigneeId: gid('Principal', p.principal.id), severity: ['HIGH'] }, shared: true });
    expect(await ids(T.tokens.READER, { viewId: v.id })).toEqual([]);
    await setPrincipalDisabled(app.database.db, p.principal.id, true);
    const e = await queueError(T.tokens.READER, { viewId: v.id });
    expect(e).toMatchObject({
      message: 'Saved view "Lee\'s queue" no longer applies: its assignee Leaving Lee is disabled. Update or delete the view.',
      extensions: { code: 'BAD_USER_INPUT', field: ['viewId'] },
    });
    expect(await ids(T.tokens.READER, { viewId: v.id, filter: { assigneeId: null } })).toEqual(await ids(T.tokens.READER, { filter: { severity: ['HIGH'] } }));
    // the view is still there, to fix or delete
    expect(await node(T.tokens.READER, v.id)).toMatchObject({ name: "Lee's queue" });
  });

  it('an assignee no longer visible (an expert who stopped serving the tenant)', async () => {
    const expert = await expertServing(app, [T.tenant]);
    const v = await saved(T.tokens.ADMIN, { name: 'With our expert', filter: { assigneeId: gid('Principal', expert.principal.id) } });
    expect(await ids(T.tokens.ADMIN, { viewId: v.id })).toEqual([]);
    await unserveTenants(app.database.db, expert.principal.id, [T.tenant.id]);
    const e = await queueError(T.tokens.ADMIN, { viewId: v.id });
    expect(e.message).toBe(
      'Saved view "With our expert" no longer applies: its assignee is no longer visible to you (removed, or no longer serving your tenant). Update or delete the view.',
    );
    expect(e.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('a tenant the expert no longer serves', async () => {
    const other = await newTenant(app);
    const expert = await expertServing(app, [T.tenant, other.tenant]);
    const v = await saved(expert.token, { name: 'Both of mine', filter: { tenantIds: [T.tenantGid, other.tenantGid] } });
    expect(await ids(expert.token, { viewId: v.id })).toHaveLength(5);
    await unserveTenants(app.database.db, expert.principal.id, [other.tenant.id]);
    const e = await queueError(expert.token, { viewId: v.id });
    expect(e).toMatchObject({
      message: 'Saved view "Both of mine" no longer applies: it names a tenant you no longer serve. Update or delete the view.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    // the expert can repair it
    const fixed = await update(expert.token, { viewId: v.id, filter: { tenantIds: [T.tenantGid] } });
    expect(fixed.errors).toEqual([]);
    expect(await ids(expert.token, { viewId: v.id })).toHaveLength(5);
  });
});

describe("experts' views", () => {
  it('are private, span the tenants the expert serves, and no one else sees them', async () => {
    const expert = await expertServing(app, [T.tenant, U.tenant]);
    const v = await saved(expert.token, { name: 'All high', filter: { severity: ['HIGH'], tenantIds: [T.tenantGid, U.tenantGid] }, orderBy: { field: 'CREATED', direction: 'ASC' } });
    expect(v).toMatchObject({ shared: false, viewerCanEdit: true, owner: { id: gid('Principal', expert.principal.id) } });
    const viaView = await ids(expert.token, { viewId: v.id });
    expect(viaView).toEqual(await ids(expert.token, { filter: { severity: ['HIGH'], tenantIds: [T.tenantGid, U.tenantGid] }, orderBy: { field: 'CREATED', direction: 'ASC' } }));
    expect(viaView).toHaveLength(3); // a and d of T, the look-alike of U
    expect(viaView).toEqual(expect.arrayContaining([inc.a, inc.d]));
    // no tenant to share with
    expect((await update(expert.token, { viewId: v.id, shared: true })).errors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'shared'] }]);
    // not the other experts, not the tenants' customers
    for (const token of [T.tokens.EXPERT, U.tokens.EXPERT, T.tokens.ADMIN, U.tokens.ADMIN]) {
      expect(await node(token, v.id)).toBeNull();
      expect((await list(token)).map((x) => x.id)).not.toContain(v.id);
      expect((await queueError(token, { viewId: v.id })).message).toBe('No such saved view');
    }
    const stored = await app.database.db.select().from(savedViews).where(eq(savedViews.id, localOf(v.id)));
    expect(stored[0]).toMatchObject({ tenantId: null, shared: false, filter: { severity: ['HIGH'], tenantIds: [T.tenant.id, U.tenant.id] } });
  });
});
