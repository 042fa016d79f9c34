// Bulk verdicts and edits (SPEC.md section 8, src/domain/bulk.ts): each item succeeds or fails on
// its own; the whole call is refused, with nothing written, only for what concerns the call; each
// success is an ordinary change (version, activity, subscription event, webhook delivery); and a
// bulk costs far fewer statements than the same changes one by one.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const RESULTS = 'results { incidentId incident { id status classification determination resolvingComment version tags assignment assignee { id } severity } errors { code message field } }';
const settle = () => new Promise((r) => setTimeout(r, 300));

async function bulk(token: string, op: 'bulkClassifyIncidents' | 'bulkUpdateIncidents', input: Record<string, unknown>) {
  const r = await mutate(app, token, op, input, RESULTS);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data[op] as { results: { incidentId: string; incident: any; errors: { code: string; message: string; field: string[] | null }[] }[]; errors: { code: string; message: string; field: string[] | null }[] };
}

const fp = { classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'Admin script, expected' };

async function started(t: TenantFixture, over: Parameters<typeof ingest>[2] = {}) {
  const inc = await ingest(app, t, over);
  expect((await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id })).data.startInvestigation.errors).toEqual([]);
  return inc.id;
}

async function state(token: string, id: string) {
  const r = await app.gql<any, any>(
    `query($id: ID!) { node(id: $id) { ... on Incident { id status version tags severity assignment assignee { id } priorityScore activity(first: 100) { totalCount nodes { field from to } } } } }`,
    { id },
    token,
  );
  return r.data.node;
}

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  const r = await app.database.db.execute(query);
  return ((r as unknown as { rows?: T[] }).rows ?? r) as T[];
}

const localOf = (gid: string) => Buffer.from(gid, 'base64').toString().split(':')[1];

/** What any write could change in a tenant: activity, versions, tags, revisions, deliveries. */
async function written(t: TenantFixture) {
  const [r] = await rows<Record<string, unknown>>(sql`select
    (select count(*) from activity where tenant_id = ${t.tenant.id})::int as activity,
    (select coalesce(sum(version), 0) from incidents where tenant_id = ${t.tenant.id})::int as versions,
    (select string_agg(custom_tags::text || status::text || severity::text, ',' order by id) from incidents where tenant_id = ${t.tenant.id}) as incidents,
    (select count(*) from investigation_revisions where tenant_id = ${t.tenant.id})::int as revisions,
    (select count(*) from outbound_deliveries where tenant_id = ${t.tenant.id})::int as deliveries`);
  return r;
}

async function webhookEndpoint(t: TenantFixture) {
  const e = await mutate(app, t.tokens.ADMIN, 'createWebhookEndpoint', { url: 'https://example.com/bulk-hook', eventTypes: ['INCIDENT_UPDATED', 'INCIDENT_RESOLVED'] }, 'endpoint { id }');
  expect(e.data.createWebhookEndpoint.errors).toEqual([]);
}

const deliveriesOf = (incidentGid: string) =>
  rows<{ event_type: string }>(sql`select event_type from outbound_deliveries where incident_id = ${localOf(incidentGid)} order by event_id`).then((r) =>
    r.map((d) => d.event_type),
  );

describe('bulkClassifyIncidents', () => {
  it('classifies each incident on its own: foreign, missing, malformed and resolved ids fail alone', async () => {
    const t = await newTenant(app);
    const other = await newTenant(app);
    await webhookEndpoint(t);
    const ok = [await started(t), await started(t)];
    const untouched = (await ingest(app, t)).id; // ACTIVE: taken under investigation, then classified
    const resolved = await started(t);
    expect((await bulk(t.tokens.EXPERT, 'bulkClassifyIncidents', { incidentIds: [resolved], ...fp })).results[0].errors).toEqual([]);
    const foreign = await started(other);
    const missing = encodeGlobalID('Incident', randomUUID());
    const before = { resolved: await state(t.tokens.EXPERT, resolved), foreign: await state(other.tokens.EXPERT, foreign) };
    const versions = await Promise.all([...ok, untouched].map(async (id) => (await state(t.tokens.EXPERT, id)).version));
    const resolvedDeliveries = await deliveriesOf(resolved);

    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, 'subscription { incidentChanged { incident { id } activity { field to } } }');
    await connected(client);
    await settle();

    const ids = [ok[0], foreign, 'not-a-global-id', resolved, missing, untouched, t.tenantGid, ok[1]];
    const r = await bulk(t.tokens.EXPERT, 'bulkClassifyIncidents', { incidentIds: ids, ...fp });
    expect(r.errors).toEqual([]);
    // one result per id, in the order given, the id as given
    expect(r.results.map((x) => x.incidentId)).toEqual(ids);
    const codes = r.results.map((x) => x.errors.map((e) => [e.code, e.field]));
    expect(codes).toEqual([
      [],
      [['NOT_FOUND', ['input', 'incidentIds', '1']]],
      [['INVALID_INPUT', ['input', 'incidentIds', '2']]],
      [['INVALID_TRANSITION', null]],
      [['NOT_FOUND', ['input', 'incidentIds', '4']]],
      [],
      [['INVALID_INPUT', ['input', 'incidentIds', '6']]], // a Tenant id is no Incident id
      [],
    ]);
    // a foreign id reads exactly like a missing one
    expect(r.results[1].errors[0].message).toBe(r.results[4].errors[0].message);
    for (const i of [1, 2, 3, 4, 6]) expect(r.results[i].incident).toBeNull();

    // each success is the single command's change: resolved, unassigned, the summary as comment
    const successes = [ok[0], untouched, ok[1]];
    for (const [n, i] of [0, 5, 7].entries()) {
      expect(r.results[i].incident).toMatchObject({
        id: successes[n],
        status: 'RESOLVED',
        classification: 'FALSE_POSITIVE',
        determination: 'NOT_MALICIOUS',
        resolvingComment: fp.summary,
        assignment: 'UNASSIGNED',
      });
    }
    expect(r.results[0].incident.version).toBe(versions[0] + 1);
    expect(r.results[7].incident.version).toBe(versions[1] + 1);
    // the ACTIVE one: two recorded steps (investigation started, then classified)
    expect(r.results[5].incident.version).toBe(versions[2] + 2);
    const activeLog = (await state(t.tokens.EXPERT, untouched)).activity.nodes.map((a: { field: string; to: string }) => `${a.field}:${a.to}`);
    expect(activeLog).toEqual(expect.arrayContaining(['STATUS:IN_PROGRESS', 'STATUS:RESOLVED', 'CLASSIFICATION:FALSE_POSITIVE']));
    expect(activeLog.indexOf('STATUS:IN_PROGRESS')).toBeLessThan(activeLog.indexOf('STATUS:RESOLVED'));
    // each concluded investigation has its CONCLUDED revision
    for (const id of successes) {
      const [rev] = await rows<{ n: number }>(sql`select count(*)::int as n from investigation_revisions where incident_id = ${localOf(id)} and reason = 'CONCLUDED'`);
      expect(Number(rev.n)).toBe(1);
    }

    // the failed items changed nothing
    expect(await state(t.tokens.EXPERT, resolved)).toEqual(before.resolved);
    expect(await state(other.tokens.EXPERT, foreign)).toEqual(before.foreign);

    // subscribers see every success, and nothing of the failures
    await sub.waitFor(successes.length);
    const end = Date.now() + 10_000;
    const resolvedSeen = () => new Set(sub.events.filter((e) => e.incidentChanged.activity.field === 'STATUS' && e.incidentChanged.activity.to === 'RESOLVED').map((e) => e.incidentChanged.incident.id));
    while (resolvedSeen().size < successes.length && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    expect(resolvedSeen()).toEqual(new Set(successes));
    await settle();
    expect(sub.events.map((e) => e.incidentChanged.incident.id).filter((id) => !successes.includes(id))).toEqual([]);
    client.dispose();

    // the webhook outbox: an update and a resolution for each success, nothing for the others
    for (const id of successes) expect(await deliveriesOf(id)).toEqual(expect.arrayContaining(['incident.updated', 'incident.resolved']));
    expect(await deliveriesOf(resolved)).toEqual(resolvedDeliveries);
  });

  it('is for experts only; readers and customers are FORBIDDEN, with nothing written', async () => {
    const t = await newTenant(app);
    const id = await started(t);
    const before = await written(t);
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) {
      const r = await mutate(app, t.tokens[role], 'bulkClassifyIncidents', { incidentIds: [id], ...fp }, RESULTS);
      expect(r.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
    }
    expect(await written(t)).toEqual(before);
  });

  it('an expert classifies across the tenants it serves; a tenant it does not serve is NOT_FOUND', async () => {
    const a = await newTenant(app);
    const b = await newTenant(app);
    const c = await newTenant(app);
    const expert = await expertServing(app, [a.tenant, b.tenant]);
    const ids = [await started(a), await started(b), await started(c)];
    const r = await bulk(expert.token, 'bulkClassifyIncidents', { incidentIds: ids, classification: 'TRUE_POSITIVE', determination: 'MALWARE', summary: 'Commodity malware' });
    expect(r.results.map((x) => x.errors.map((e) => e.code))).toEqual([[], [], ['NOT_FOUND']]);
    // a true positive stays under investigation until its managed response is published
    expect(r.results.slice(0, 2).map((x) => [x.incident.status, x.incident.classification])).toEqual([
      ['IN_PROGRESS', 'TRUE_POSITIVE'],
      ['IN_PROGRESS', 'TRUE_POSITIVE'],
    ]);
  });

  it('refuses the whole call for too many, repeated or no ids, or a bad verdict, writing nothing', async () => {
    const t = await newTenant(app);
    const ids = [await started(t), await started(t)];
    const before = await written(t);
    const refused = async (input: Record<string, unknown>) => {
      const r = await bulk(t.tokens.EXPERT, 'bulkClassifyIncidents', { ...fp, ...input });
      expect(r.results).toEqual([]);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0].code).toBe('INVALID_INPUT');
      return r.errors[0];
    };
    const many = [...ids, ...Array.from({ length: 99 }, () => encodeGlobalID('Incident', randomUUID()))];
    expect(await refused({ incidentIds: many })).toMatchObject({ field: ['input', 'incidentIds'], message: expect.stringContaining('At most 100') });
    expect(await refused({ incidentIds: [ids[0], ids[1], ids[0]] })).toMatchObject({ field: ['input', 'incidentIds', '2'] });
    expect(await refused({ incidentIds: ['bad', ids[0], 'bad'] })).toMatchObject({ field: ['input', 'incidentIds', '2'] });
    expect(await refused({ incidentIds: [] })).toMatchObject({ field: ['input', 'incidentIds'] });
    expect(await refused({ incidentIds: ids, classification: 'FALSE_POSITIVE', determination: 'MALWARE' })).toMatchObject({ field: ['input', 'determination'] });
    expect(await refused({ incidentIds: ids, summary: '   ' })).toMatchObject({ field: ['input', 'summary'] });
    expect(await refused({ incidentIds: ids, classification: 'TRUE_POSITIVE', determination: 'MALWARE', investigationSummary: { narrative: 'x' } })).toMatchObject({
      field: ['input', 'investigationSummary'],
    });
    expect(await written(t)).toEqual(before);
    // exactly 100 is fine
    const hundred = [...ids, ...Array.from({ length: 98 }, () => encodeGlobalID('Incident', randomUUID()))];
    const r = await bulk(t.tokens.EXPERT, 'bulkClassifyIncidents', { incidentIds: hundred, ...fp });
    expect(r.errors).toEqual([]);
    expect(r.results).toHaveLength(100);
    expect(r.results.filter((x) => x.errors.length === 0)).toHaveLength(2);
  });

  it('a REDIRECTED (merged) incident fails alone with INVALID_TRANSITION', async () => {
    const t = await newTenant(app);
    const [target, source] = [await started(t), await started(t)];
    await app.database.db.execute(sql`update incidents set status = 'REDIRECTED', redirected_to_id = ${localOf(target)} where id = ${localOf(source)}`);
    for (const [op, input] of [
      ['bulkClassifyIncidents', fp],
      ['bulkUpdateIncidents', { addTags: ['merged'] }],
    ] as const) {
      const r = await bulk(t.tokens.EXPERT, op, { incidentIds: [source, target], ...input });
      expect(r.results.map((x) => x.errors.map((e) => [e.code, e.field])), op).toEqual([[['INVALID_TRANSITION', ['input', 'incidentIds', '0']]], []]);
      expect(r.results[0].errors[0].message).toContain('REDIRECTED');
    }
  });
  it('an item failing after its first write rolls back to its own savepoint, and the others stay', async () => {
    const t = await newTenant(app);
    const ok = await started(t);
    // ACTIVE but already classified (not a state the service makes; a rule firing after a write):
    // the investigation starts, then the verdict is refused, and the start must not remain
    const odd = (await ingest(app, t)).id;
    await app.database.db.execute(sql`update incidents set classification = 'TRUE_POSITIVE', determination = 'MALWARE' where id = ${localOf(odd)}`);
    const before = await state(t.tokens.EXPERT, odd);
    const r = await bulk(t.tokens.EXPERT, 'bulkClassifyIncidents', { incidentIds: [odd, ok], ...fp });
    expect(r.results.map((x) => x.errors.map((e) => e.code))).toEqual([['INVALID_TRANSITION'], []]);
    expect(await state(t.tokens.EXPERT, odd)).toEqual(before);
    expect(r.results[1].incident.status).toBe('RESOLVED');
  });
});

describe('bulkUpdateIncidents', () => {
  async function tagged(t: TenantFixture, tags: string[]) {
    const id = (await ingest(app, t)).id;
    if (tags.length) expect((await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId: id, tags })).data.updateIncident.errors).toEqual([]);
    return id;
  }

  it('adds to the tags each incident has, removes only those named, and is idempotent', async () => {
    const t = await newTenant(app);
    await webhookEndpoint(t);
    const ids = [await tagged(t, ['a', 'b']), await tagged(t, ['b', 'keep']), await tagged(t, [])];
    const before = await Promise.all(ids.map((id) => state(t.tokens.OPERATOR, id)));
    const input = { incidentIds: ids, addTags: ['c', 'b'], removeTags: ['a', 'absent'] };
    const r = await bulk(t.tokens.OPERATOR, 'bulkUpdateIncidents', input);
    expect(r.errors).toEqual([]);
    expect(r.results.map((x) => x.errors)).toEqual([[], [], []]);
    expect(r.results.map((x) => x.incident.tags)).toEqual([
      ['b', 'c'],
      ['b', 'keep', 'c'],
      ['c', 'b'],
    ]);
    // an ordinary change each: one version, one activity entry (tags), one webhook delivery
    const after = await Promise.all(ids.map((id) => state(t.tokens.OPERATOR, id)));
    for (const [i, s] of after.entries()) {
      expect(s.version).toBe(before[i].version + 1);
      expect(s.activity.totalCount).toBe(before[i].activity.totalCount + 1);
      expect(s.activity.nodes.at(-1)).toMatchObject({ field: 'TAGS', to: r.results[i].incident.tags.join(', ') });
      expect(await deliveriesOf(ids[i])).toEqual(before[i].tags.length ? ['incident.updated', 'incident.updated'] : ['incident.updated']);
    }
    // the same bulk again changes nothing: no version, no activity, no delivery
    const snapshot = await written(t);
    const again = await bulk(t.tokens.OPERATOR, 'bulkUpdateIncidents', input);
    expect(again.results.map((x) => [x.errors, x.incident.version])).toEqual(after.map((s) => [[], s.version]));
    expect(await written(t)).toEqual(snapshot);
  });

  it('sets assignment, assignee and severity; an assignee of another tenant fails its items only', async () => {
    const a = await newTenant(app);
    const b = await newTenant(app);
    const expert = await expertServing(app, [a.tenant, b.tenant]);
    const ids = [(await ingest(app, a)).id, (await ingest(app, a)).id, (await ingest(app, b)).id];
    const before = await state(expert.token, ids[0]);
    const operatorA = encodeGlobalID('Principal', a.principals.OPERATOR.id);
    const r = await bulk(expert.token, 'bulkUpdateIncidents', { incidentIds: ids, assigneeId: operatorA, severity: 'HIGH' });
    expect(r.results.map((x) => x.errors.map((e) => [e.code, e.field]))).toEqual([[], [], [['NOT_FOUND', ['input', 'assigneeId']]]]);
    for (const x of r.results.slice(0, 2)) expect(x.incident).toMatchObject({ assignment: 'CUSTOMER', assignee: { id: operatorA }, severity: 'HIGH' });
    const after = await state(expert.token, ids[0]);
    expect(after.priorityScore).toBeGreaterThan(before.priorityScore);
    expect(after.activity.nodes.slice(-3).map((n: { field: string }) => n.field).sort()).toEqual(['ASSIGNEE', 'ASSIGNMENT', 'SEVERITY']);
    // B's incident did not change
    expect((await state(expert.token, ids[2])).version).toBe(1);
    // to the experts, without a name: the named user is cleared
    const back = await bulk(expert.token, 'bulkUpdateIncidents', { incidentIds: ids.slice(0, 2), assignment: 'EXPERTS' });
    for (const x of back.results) expect(x.incident).toMatchObject({ assignment: 'EXPERTS', assignee: null });
  });

  it('customers (OPERATOR, ADMIN) edit their own tenant; READER and INTEGRATION are FORBIDDEN; other tenants are NOT_FOUND', async () => {
    const t = await newTenant(app);
    const other = await newTenant(app);
    const mine = (await ingest(app, t)).id;
    const theirs = (await ingest(app, other)).id;
    for (const role of ['OPERATOR', 'ADMIN'] as const) {
      const r = await bulk(t.tokens[role], 'bulkUpdateIncidents', { incidentIds: [mine, theirs], addTags: [role.toLowerCase()] });
      expect(r.results.map((x) => x.errors.map((e) => e.code)), role).toEqual([[], ['NOT_FOUND']]);
    }
    expect((await state(other.tokens.OPERATOR, theirs)).version).toBe(1);
    const before = await written(t);
    for (const role of ['READER', 'INTEGRATION'] as const) {
      const r = await mutate(app, t.tokens[role], 'bulkUpdateIncidents', { incidentIds: [mine], addTags: ['x'] }, RESULTS);
      expect(r.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
    }
    expect(await written(t)).toEqual(before);
  });

  it('refuses bad shared input whole; an item whose tags would overflow fails alone', async () => {
    const t = await newTenant(app);
    const full = await tagged(t, Array.from({ length: 49 }, (_, i) => `t${i}`));
    const plain = await tagged(t, []);
    const before = await written(t);
    const refused = async (input: Record<string, unknown>, field: string[] | null) => {
      const r = await bulk(t.tokens.OPERATOR, 'bulkUpdateIncidents', { incidentIds: [plain, full], ...input });
      expect(r.results).toEqual([]);
      expect(r.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field })]);
    };
    await refused({ addTags: ['x'.repeat(101)] }, ['input', 'addTags', '0']);
    await refused({ addTags: ['x'], removeTags: ['x'] }, ['input', 'removeTags']);
    await refused({}, null);
    await refused({ assignment: 'UNASSIGNED', assigneeId: encodeGlobalID('Principal', t.principals.OPERATOR.id) }, ['input', 'assigneeId']);
    await refused({ assigneeId: 'nope' }, ['input', 'assigneeId']);
    expect(await written(t)).toEqual(before);

    const r = await bulk(t.tokens.OPERATOR, 'bulkUpdateIncidents', { incidentIds: [plain, full], addTags: ['new-1', 'new-2'] });
    expect(r.results.map((x) => x.errors.map((e) => [e.code, e.field]))).toEqual([[], [['INVALID_INPUT', ['input', 'addTags']]]]);
    expect(r.results[0].incident.tags).toEqual(['new-1', 'new-2']);
  });

  it('overlapping bulks at the same time both apply, without a deadlock', async () => {
    const t = await newTenant(app);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await ingest(app, t)).id);
    const [x, y] = await Promise.all([
      bulk(t.tokens.OPERATOR, 'bulkUpdateIncidents', { incidentIds: ids, addTags: ['x'] }),
      bulk(t.tokens.EXPERT, 'bulkUpdateIncidents', { incidentIds: [...ids].reverse(), addTags: ['y'] }),
    ]);
    expect([...x.results, ...y.results].flatMap((r) => r.errors)).toEqual([]);
    for (const id of ids) {
      const s = await state(t.tokens.OPERATOR, id);
      expect([...s.tags].sort()).toEqual(['x', 'y']);
      expect(s.version).toBe(3);
    }
  });
});

describe('cost', () => {
  it('a bulk of N issues a fraction of the statements of N single mutations', async () => {
    const t = await newTenant(app);
    const N = 20;
    const ids: string[] = [];
    for (let i = 0; i < 2 * N; i++) ids.push((await ingest(app, t)).id);
    let before = app.database.stats.statements;
    for (const id of ids.slice(0, N)) {
      expect((await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId: id, tags: ['one'], severity: 'HIGH' }, 'incident { id version }')).data.updateIncident.errors).toEqual([]);
    }
    const singles = app.database.stats.statements - before;
    before = app.database.stats.statements;
    const r = await bulk(t.tokens.OPERATOR, 'bulkUpdateIncidents', { incidentIds: ids.slice(N), addTags: ['one'], severity: 'HIGH' });
    expect(r.results.flatMap((x) => x.errors)).toEqual([]);
    const bulked = app.database.stats.statements - before;
    // Per single: lock, alert count, update, event-order lock, activity, two outbox reads, notify.
    // The bulk: one lock, one alert count, the activity and outbox reads once; per item its update,
    // its notify and a savepoint + release (the price of items failing alone). PGlite counts the
    // savepoints; postgres.js sends them itself, so they are added here.
    const savepoints = 2 * N;
    const counted = app.database.kind === 'pglite' ? bulked : bulked + savepoints;
    expect(counted).toBeLessThan(singles * 0.6);
    expect(counted - savepoints).toBeLessThan(singles / 3);
  });
});
