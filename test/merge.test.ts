// Merging incidents (SPEC.md section 8): an expert folds duplicates of one tenant into a target.
// What moves, what the sources become (REDIRECTED, still resolvable, out of the queue), every
// refusal with nothing written, the terminal REDIRECTED state, subscribers of either incident,
// and (PostgreSQL) concurrent merges of overlapping sets that never lose, duplicate or deadlock.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate, summary, truePositive } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const local = (gid: string) => decodeGlobalID(gid).id;

const MERGED = `incident { id number status severity priorityScore version firstActivityAt lastActivityAt }`;

const INCIDENT = `id number status assignment severity priorityScore version firstActivityAt lastActivityAt
  redirectedTo { id number status }
  alerts(first: 100) { totalCount nodes { externalId evidence { kind } } }
  devices { name }
  comments(first: 100) { totalCount nodes { body } }
  activity(first: 100) { totalCount nodes { id eventId field from to note incident { number } } }`;

async function byId(token: string, id: string) {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { ${INCIDENT} } } }`, { id }, token);
  expect(r.errors).toBeUndefined();
  return r.data.node;
}

async function byNumber(token: string, number: number) {
  const r = await app.gql<any, any>(`query($n: Int!) { incident(number: $n) { id status redirectedTo { id } } }`, { n: number }, token);
  expect(r.errors).toBeUndefined();
  return r.data.incident;
}

function merge(token: string, targetId: string, sourceIds: string[], version?: number) {
  return mutate(app, token, 'mergeIncidents', { targetId, sourceIds, ...(version != null ? { version } : {}) }, MERGED);
}

/** An incident whose alerts name these devices (one alert per device) and an account. */
async function incidentOn(t: TenantFixture, severity: 'LOW' | 'MEDIUM' | 'HIGH', deviceGroup: string, ...deviceNames: string[]) {
  const input = incidentInput({ severity });
  const inc = await ingest(app, t, {
    externalId: input.externalId,
    severity,
    alerts: deviceNames.map((deviceName, i) => ({
      externalId: `${input.externalId}-a${i}`,
      title: `Alert on ${deviceName}`,
      severity,
      evidence: [{ device: { deviceName, deviceGroup } }, { user: { accountName: `user-${deviceName.toLowerCase()}` } }],
    })),
  });
  const node = await byId(t.tokens.EXPERT, inc.id);
  return { ...node, externalId: input.externalId } as { id: string; number: number; version: number; externalId: string; priorityScore: number };
}

/** Everything a merge could change in a tenant, as one comparable value. */
async function snapshot(t: TenantFixture) {
  const [row] = await app.database.query(
    `select
       (select count(*) from activity where tenant_id = $1::uuid)::int as activity,
       (select string_agg(id::text || status::text || version || coalesce(redirected_to_id::text, '-') || severity::text || priority_score || search_text,
          ',' order by id) from incidents where tenant_id = $1::uuid) as incidents,
       (select string_agg(id::text || incident_id::text, ',' order by id) from alerts where tenant_id = $1::uuid) as alerts,
       (select string_agg(id::text || incident_id::text, ',' order by id) from evidence where tenant_id = $1::uuid) as evidence,
       (select string_agg(id::text || incident_id::text, ',' order by id) from comments where tenant_id = $1::uuid) as comments,
       (select string_agg(id::text || incident_id::text, ',' order by id) from investigation_updates where tenant_id = $1::uuid) as updates`,
    [t.tenant.id],
  );
  return row;
}

describe('mergeIncidents', () => {
  it('moves alerts, evidence, comments and updates to the target, lists the sources\' activity in its log, and redirects the sources', async () => {
    const t = await newTenant(app);
    const target = await incidentOn(t, 'LOW', 'Workstations', 'WS-TARGET');
    const dc = await incidentOn(t, 'HIGH', 'Domain Controllers', 'DC-01', 'DC-02');
    const other = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-OTHER');
    expect((await mutate(app, t.tokens.OPERATOR, 'addComment', { incidentId: dc.id, body: 'seen on the DCs too' }, 'incident { id }')).data.addComment.errors).toEqual([]);
    expect((await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: other.id })).data.startInvestigation.errors).toEqual([]);
    const upd = await mutate(app, t.tokens.EXPERT, 'postInvestigationUpdate', { incidentId: other.id, body: 'looking into WS-OTHER' }, 'update { id }');
    expect(upd.data.postInvestigationUpdate.errors).toEqual([]);
    const before = await byId(t.tokens.EXPERT, target.id);
    const dcBefore = await byId(t.tokens.EXPERT, dc.id);
    const otherBefore = await byId(t.tokens.EXPERT, other.id);
    const banner = async () =>
      (await app.gql<any, any>('{ managedResponseSummary { investigating awaitingCustomerAction } }', {}, t.tokens.READER)).data.managedResponseSummary;
    expect(await banner()).toEqual({ investigating: 1, awaitingCustomerAction: 0 });

    const r = await merge(t.tokens.EXPERT, target.id, [dc.id, other.id], before.version);
    expect(r.errors).toBeUndefined();
    expect(r.data.mergeIncidents.errors).toEqual([]);
    expect(r.data.mergeIncidents.incident).toMatchObject({ id: target.id, status: 'ACTIVE', severity: 'HIGH', version: before.version + 1 });

    const after = await byId(t.tokens.READER, target.id);
    // alerts and their evidence
    expect(after.alerts.totalCount).toBe(4);
    expect(after.alerts.nodes.map((a: any) => a.externalId).sort()).toEqual(
      [...before.alerts.nodes, ...dcBefore.alerts.nodes, ...otherBefore.alerts.nodes].map((a: any) => a.externalId).sort(),
    );
    for (const a of after.alerts.nodes) expect(a.evidence.map((e: any) => e.kind).sort()).toEqual(['DEVICE', 'USER']);
    // devices, priority (a domain controller is a high-value asset; HIGH; more alerts), activity times
    expect(after.devices.map((d: any) => d.name).sort()).toEqual(['DC-01', 'DC-02', 'WS-OTHER', 'WS-TARGET']);
    expect(after.priorityScore).toBeGreaterThan(before.priorityScore);
    expect(after.priorityScore).toBeGreaterThan(dcBefore.priorityScore);
    const times = [before, dcBefore, otherBefore];
    expect(after.firstActivityAt).toBe(times.map((i) => i.firstActivityAt).sort()[0]);
    expect(after.lastActivityAt).toBe(times.map((i) => i.lastActivityAt).sort().at(-1));
    // comments and investigation updates
    expect(after.comments.nodes.map((c: any) => c.body)).toEqual(['seen on the DCs too']);
    const updates = await app.gql<any, any>(
      `query($id: ID!) { node(id: $id) { ... on Incident { investigation { updates(first: 10) { nodes { body } } } } } }`,
      { id: target.id },
      t.tokens.READER,
    );
    expect(updates.data.node.investigation.updates.nodes.map((u: any) => u.body)).toEqual(['looking into WS-OTHER']);
    // the log: the target's own entries and the sources', in id (commit) order, each naming its incident
    const log = after.activity.nodes as { id: string; eventId: string; field: string; from: string | null; to: string | null; note: string | null; incident: { number: number } }[];
    expect(log.map((a) => Number(a.eventId))).toEqual(log.map((a) => Number(a.eventId)).sort((x, y) => x - y));
    expect(after.activity.totalCount).toBe(log.length);
    const earlier = new Set([before, dcBefore, otherBefore].flatMap((i) => i.activity.nodes.map((a: any) => a.id)));
    for (const incident of [before, dcBefore, otherBefore]) {
      const listed = log.filter((a) => earlier.has(a.id) && a.incident.number === incident.number);
      expect(listed.map((a) => a.id)).toEqual(incident.activity.nodes.map((a: any) => a.id));
    }
    // and what the merge wrote: on the target, and on each source (listed here as theirs)
    const written = log.filter((a) => !earlier.has(a.id));
    expect(written.map((a) => [a.incident.number, a.field, a.to])).toEqual([
      [target.number, 'MERGED', `#${dc.number}, #${other.number}`],
      [target.number, 'SEVERITY', 'HIGH'],
      [dc.number, 'STATUS', 'REDIRECTED'],
      [other.number, 'STATUS', 'REDIRECTED'],
    ]);
    const mergedEntry = log.find((a) => a.field === 'MERGED')!;
    expect(mergedEntry).toMatchObject({ incident: { number: target.number }, to: `#${dc.number}, #${other.number}` });
    expect(mergedEntry.note).toContain('3 alert(s) and 1 comment(s)');
    expect(log.find((a) => a.field === 'SEVERITY')).toMatchObject({ from: 'LOW', to: 'HIGH', incident: { number: target.number } });
    // text search finds the target by a source's asset
    const found = await app.gql<any, any>(`{ incidents(filter: { search: "dc-02" }) { nodes { id } } }`, {}, t.tokens.READER);
    expect(found.data.incidents.nodes.map((n: any) => n.id)).toEqual([target.id]);

    // the sources: REDIRECTED, linked, emptied, assignment kept, version bumped, resolvable by id and number
    for (const [source, was] of [
      [dcBefore, { assignment: 'UNASSIGNED', status: 'ACTIVE' }],
      [otherBefore, { assignment: 'EXPERTS', status: 'IN_PROGRESS' }],
    ] as const) {
      const s = await byId(t.tokens.READER, source.id);
      expect(s).toMatchObject({
        status: 'REDIRECTED',
        assignment: was.assignment,
        version: source.version + 1,
        redirectedTo: { id: target.id, number: target.number, status: 'ACTIVE' },
        alerts: { totalCount: 0 },
        devices: [],
        comments: { totalCount: 0 },
      });
      expect(s.activity.nodes.at(-1)).toMatchObject({ field: 'STATUS', from: was.status, to: 'REDIRECTED', incident: { number: source.number } });
      expect(s.activity.nodes.at(-1).note).toContain(`#${target.number}`);
      expect(await byNumber(t.tokens.READER, source.number)).toEqual({ id: source.id, status: 'REDIRECTED', redirectedTo: { id: target.id } });
    }
    expect((await byId(t.tokens.READER, target.id)).redirectedTo).toBeNull();
    // nothing of the sources is left behind on them
    const [left] = await app.database.query<{ n: number }>(
      `select ((select count(*) from alerts where incident_id = any($1::uuid[])) + (select count(*) from evidence where incident_id = any($1::uuid[]))
         + (select count(*) from comments where incident_id = any($1::uuid[])) + (select count(*) from investigation_updates where incident_id = any($1::uuid[])))::int as n`,
      [`{${local(dc.id)},${local(other.id)}}`],
    );
    expect(Number(left.n)).toBe(0);
    // the banner counts incidents under investigation: the merged one no longer is
    expect(await banner()).toEqual({ investigating: 0, awaitingCustomerAction: 0 });
  });

  it('leaves REDIRECTED incidents out of the queue unless the status filter names them', async () => {
    const t = await newTenant(app);
    const target = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-Q1');
    const source = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-Q2');
    const keep = await incidentOn(t, 'LOW', 'Workstations', 'WS-Q3');
    expect((await merge(t.tokens.EXPERT, target.id, [source.id])).data.mergeIncidents.errors).toEqual([]);
    const queue = async (filter: Record<string, unknown> | null, token = t.tokens.READER) => {
      const r = await app.gql<any, any>(`query($f: IncidentFilter) { incidents(first: 50, filter: $f) { totalCount nodes { id } } }`, { f: filter }, token);
      expect(r.errors).toBeUndefined();
      return { count: r.data.incidents.totalCount, ids: r.data.incidents.nodes.map((n: any) => n.id).sort() };
    };
    expect(await queue(null)).toEqual({ count: 2, ids: [target.id, keep.id].sort() });
    expect(await queue({ tenantIds: [t.tenantGid] }, t.tokens.EXPERT)).toEqual({ count: 2, ids: [target.id, keep.id].sort() });
    expect(await queue({ search: `#${source.number}` })).toEqual({ count: 0, ids: [] });
    expect(await queue({ status: ['ACTIVE', 'IN_PROGRESS'] })).toEqual({ count: 2, ids: [target.id, keep.id].sort() });
    expect(await queue({ status: ['REDIRECTED'] })).toEqual({ count: 1, ids: [source.id] });
    expect(await queue({ status: ['ACTIVE', 'REDIRECTED'] })).toEqual({ count: 3, ids: [target.id, source.id, keep.id].sort() });
  });

  it('lists in a target\'s log the activity of incidents merged into it through an earlier merge', async () => {
    const t = await newTenant(app);
    const [a, b, c] = [await incidentOn(t, 'LOW', 'W', 'WS-C1'), await incidentOn(t, 'LOW', 'W', 'WS-C2'), await incidentOn(t, 'LOW', 'W', 'WS-C3')];
    expect((await merge(t.tokens.EXPERT, b.id, [c.id])).data.mergeIncidents.errors).toEqual([]);
    expect((await merge(t.tokens.EXPERT, a.id, [b.id])).data.mergeIncidents.errors).toEqual([]);
    const top = await byId(t.tokens.READER, a.id);
    expect(new Set(top.activity.nodes.map((e: any) => e.incident.number))).toEqual(new Set([a.number, b.number, c.number]));
    expect(top.alerts.totalCount).toBe(3);
    // c was merged into b, which was merged into a: c's link names b, b's names a
    expect((await byId(t.tokens.READER, c.id)).redirectedTo).toMatchObject({ id: b.id, status: 'REDIRECTED' });
    // a new alert for c's external id follows the links to a
    const r = await app.gql<any, any>(
      `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { created incident { id } errors { code message } } }`,
      {
        input: {
          externalId: c.externalId,
          title: 'again',
          severity: 'LOW',
          alerts: [{ externalId: `${c.externalId}-late`, title: 'Late alert', severity: 'LOW', evidence: [{ device: { deviceName: 'WS-LATE' } }] }],
        },
      },
      t.tokens.INTEGRATION,
    );
    expect(r.data.ingestIncident).toEqual({ created: false, incident: { id: a.id }, errors: [] });
    const now = await byId(t.tokens.READER, a.id);
    expect(now.alerts.totalCount).toBe(4);
    expect(now.devices.map((d: any) => d.name)).toContain('WS-LATE');
    expect((await byId(t.tokens.READER, c.id)).alerts.totalCount).toBe(0);
  });
});

describe('mergeIncidents refusals write nothing', () => {
  let t: TenantFixture;
  let other: TenantFixture;
  let both: { token: string };
  let target: { id: string; number: number; version: number };
  let source: { id: string; number: number };
  beforeAll(async () => {
    t = await newTenant(app);
    other = await newTenant(app);
    both = await expertServing(app, [t.tenant, other.tenant]);
    target = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-R1');
    source = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-R2');
  });

  /** The merge is refused with this code (and a message matching), and neither tenant changed. */
  async function refused(token: string, targetId: string, sourceIds: string[], code: string, message?: RegExp, version?: number) {
    const before = [await snapshot(t), await snapshot(other)];
    const r = await merge(token, targetId, sourceIds, version);
    expect(r.errors).toBeUndefined();
    expect(r.data.mergeIncidents.incident).toBeNull();
    expect(r.data.mergeIncidents.errors).toHaveLength(1);
    expect(r.data.mergeIncidents.errors[0].code).toBe(code);
    if (message) expect(r.data.mergeIncidents.errors[0].message).toMatch(message);
    expect([await snapshot(t), await snapshot(other)]).toEqual(before);
    return r.data.mergeIncidents.errors[0];
  }

  it('a source of another tenant is NOT_FOUND, like a missing one, even for an expert serving both', async () => {
    const foreign = await incidentOn(other, 'MEDIUM', 'Workstations', 'WS-F1');
    const e = await refused(both.token, target.id, [source.id, foreign.id], 'NOT_FOUND');
    expect(e.field).toEqual(['input', 'sourceIds', '1']);
    const missing = encodeGlobalID('Incident', '00000000-0000-4000-8000-000000000000');
    expect(await refused(both.token, target.id, [source.id, missing], 'NOT_FOUND')).toEqual(e);
    // an expert not serving the other tenant: the same answer
    expect((await refused(t.tokens.EXPERT, target.id, [foreign.id], 'NOT_FOUND')).field).toEqual(['input', 'sourceIds', '0']);
    // a foreign target too
    expect((await refused(t.tokens.EXPERT, foreign.id, [source.id], 'NOT_FOUND')).field).toEqual(['input', 'targetId']);
  });

  it('refuses duplicates, the target among the sources, none and more than 50', async () => {
    await refused(t.tokens.EXPERT, target.id, [source.id, source.id], 'INVALID_INPUT', /twice/);
    await refused(t.tokens.EXPERT, target.id, [source.id, target.id], 'INVALID_INPUT', /itself/);
    await refused(t.tokens.EXPERT, target.id, [], 'INVALID_INPUT', /1 to 50/);
    const many = Array.from({ length: 51 }, (_, i) => encodeGlobalID('Incident', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    await refused(t.tokens.EXPERT, target.id, many, 'INVALID_INPUT', /1 to 50/);
  });

  it('refuses a stale version of the target', async () => {
    await refused(t.tokens.EXPERT, target.id, [source.id], 'VERSION_CONFLICT', undefined, target.version - 1 || 99);
  });

  it('refuses a RESOLVED target', async () => {
    const resolved = await incidentOn(t, 'LOW', 'Workstations', 'WS-R3');
    await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: resolved.id });
    const c = await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: resolved.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'benign' });
    expect(c.data.classifyIncident.incident.status).toBe('RESOLVED');
    await refused(t.tokens.EXPERT, resolved.id, [source.id], 'INVALID_TRANSITION', /RESOLVED/);
  });

  it('refuses a source with a published managed response', async () => {
    const published = await truePositive(app, t);
    const p = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: published.id,
      summary,
      actions: [{ kind: 'MANUAL', title: 'Reset the password', instructions: 'Reset it' }],
    });
    expect(p.data.publishManagedResponse.errors).toEqual([]);
    await refused(t.tokens.EXPERT, target.id, [source.id, published.id], 'INVALID_TRANSITION', /managed response/);
  });

  it('refuses a REDIRECTED target and a REDIRECTED source, naming where it went', async () => {
    const into = await incidentOn(t, 'LOW', 'Workstations', 'WS-R4');
    const gone = await incidentOn(t, 'LOW', 'Workstations', 'WS-R5');
    expect((await merge(t.tokens.EXPERT, into.id, [gone.id])).data.mergeIncidents.errors).toEqual([]);
    await refused(t.tokens.EXPERT, gone.id, [source.id], 'INVALID_TRANSITION', new RegExp(`#${into.number}`));
    await refused(t.tokens.EXPERT, target.id, [source.id, gone.id], 'INVALID_TRANSITION', /already merged/);
  });
});

describe('a REDIRECTED incident is terminal', () => {
  it('refuses every command on it with INVALID_TRANSITION naming the target, and writes nothing', async () => {
    const t = await newTenant(app);
    const target = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-T1');
    const source = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-T2');
    const resolved = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-T3');
    await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: resolved.id });
    await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: resolved.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'benign' });
    // a RESOLVED source may be merged (it has no managed response); it is redirected like any other
    expect((await merge(t.tokens.EXPERT, target.id, [source.id, resolved.id])).data.mergeIncidents.errors).toEqual([]);
    const commands: [string, string, Record<string, unknown>, string][] = [
      ['updateIncident', t.tokens.OPERATOR, { incidentId: source.id, tags: ['x'] }, 'incident { id }'],
      ['addComment', t.tokens.OPERATOR, { incidentId: source.id, body: 'hello?' }, 'incident { id }'],
      ['startInvestigation', t.tokens.EXPERT, { incidentId: source.id }, 'incident { id }'],
      ['classifyIncident', t.tokens.EXPERT, { incidentId: source.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'x' }, 'incident { id }'],
      ['publishManagedResponse', t.tokens.EXPERT, { incidentId: source.id, summary, actions: [] }, 'incident { id }'],
      ['reopenIncident', t.tokens.EXPERT, { incidentId: resolved.id }, 'incident { id }'],
      ['postInvestigationUpdate', t.tokens.EXPERT, { incidentId: source.id, body: 'x' }, 'update { id }'],
      ['sendChatMessage', t.tokens.READER, { incidentId: source.id, body: 'x' }, 'message { id }'],
    ];
    for (const [name, token, input, fields] of commands) {
      const before = await snapshot(t);
      const r = await mutate(app, token, name, input, fields);
      expect(r.errors, name).toBeUndefined();
      expect(r.data[name].errors, name).toHaveLength(1);
      expect(r.data[name].errors[0].code, name).toBe('INVALID_TRANSITION');
      expect(r.data[name].errors[0].message, name).toContain(`merged into #${target.number}`);
      expect(await snapshot(t), name).toEqual(before);
    }
    // bulks: that item only
    const bulk = await mutate(app, t.tokens.OPERATOR, 'bulkUpdateIncidents', { incidentIds: [source.id, target.id], addTags: ['bulk'] }, 'results { incidentId errors { code message } }');
    expect(bulk.errors).toBeUndefined();
    expect(bulk.data.bulkUpdateIncidents.results.map((x: any) => x.errors.map((e: any) => e.code))).toEqual([['INVALID_TRANSITION'], []]);
    const bulkClassify = await mutate(
      app,
      t.tokens.EXPERT,
      'bulkClassifyIncidents',
      { incidentIds: [source.id], classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'x' },
      'results { incidentId errors { code message } }',
    );
    expect(bulkClassify.data.bulkClassifyIncidents.results[0].errors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);
    expect((await byId(t.tokens.READER, source.id)).status).toBe('REDIRECTED');
  });
});

describe('subscribers of either incident see the merge', () => {
  it('a subscriber of a source gets its REDIRECTED event, a subscriber of the target the merge', async () => {
    const t = await newTenant(app);
    const target = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-S1');
    const source = await incidentOn(t, 'MEDIUM', 'Workstations', 'WS-S2');
    const doc = `subscription($f: IncidentFilter) { incidentChanged(filter: $f) { eventId incident { id status redirectedTo { id } } activity { field from to incident { id } } } }`;
    const client = wsClient(app.url, t.tokens.READER);
    const ofSource = subscribe(client, doc, { f: { search: `#${source.number}` } });
    const ofTarget = subscribe(client, doc, { f: { search: `#${target.number}` } });
    const everything = subscribe(client, doc);
    try {
      await connected(client);
      await new Promise((r) => setTimeout(r, 200)); // registered at the hub
      expect((await merge(t.tokens.EXPERT, target.id, [source.id])).data.mergeIncidents.errors).toEqual([]);
      const [s] = await ofSource.waitFor(1);
      expect(s.incidentChanged).toMatchObject({
        incident: { id: source.id, status: 'REDIRECTED', redirectedTo: { id: target.id } },
        activity: { field: 'STATUS', from: 'ACTIVE', to: 'REDIRECTED', incident: { id: source.id } },
      });
      const [m] = await ofTarget.waitFor(1);
      expect(m.incidentChanged).toMatchObject({ incident: { id: target.id, status: 'ACTIVE' }, activity: { field: 'MERGED', to: `#${source.number}` } });
      // one merge, one event per incident: the sources' history is not announced again
      const all = await everything.waitFor(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(everything.events).toHaveLength(2);
      expect(all.map((e) => e.incidentChanged.activity.field).sort()).toEqual(['MERGED', 'STATUS']);
      expect(ofSource.events).toHaveLength(1);
      expect(ofTarget.events).toHaveLength(1);
    } finally {
      ofSource.dispose();
      ofTarget.dispose();
      everything.dispose();
      await client.dispose();
    }
  });
});

describe.skipIf(backend !== 'postgres')('concurrent merges of overlapping sets (PostgreSQL)', () => {
  /** Alerts of the tenant, and those on a REDIRECTED incident or apart from their evidence (both must be 0). */
  async function alertState(t: TenantFixture) {
    const [row] = await app.database.query<{ alerts: number; distinct: number; redirected: number; astray: number }>(
      `select
         (select count(*) from alerts where tenant_id = $1::uuid)::int as alerts,
         (select count(distinct external_id) from alerts where tenant_id = $1::uuid)::int as distinct,
         (select count(*) from alerts a join incidents i on i.id = a.incident_id where a.tenant_id = $1::uuid and i.status = 'REDIRECTED')::int as redirected,
         (select count(*) from evidence e join alerts a on a.id = e.alert_id where e.tenant_id = $1::uuid and e.incident_id <> a.incident_id)::int as astray`,
      [t.tenant.id],
    );
    return { alerts: Number(row.alerts), distinct: Number(row.distinct), redirected: Number(row.redirected), astray: Number(row.astray) };
  }

  const outcome = (r: Awaited<ReturnType<typeof merge>>) => {
    // a deadlock or a unique violation would be a masked top-level error
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const errors = r.data.mergeIncidents.errors as { code: string; message: string }[];
    if (errors.length) expect(errors[0].code).toBe('INVALID_TRANSITION');
    return errors.length === 0 ? 'merged' : 'refused';
  };

  it('never lose, duplicate or strand an alert, and never deadlock', async () => {
    const t = await newTenant(app);
    const second = await expertServing(app, [t.tenant]);
    for (let round = 0; round < 6; round++) {
      const inc = [] as Awaited<ReturnType<typeof incidentOn>>[];
      for (let i = 0; i < 5; i++) inc.push(await incidentOn(t, 'MEDIUM', 'Workstations', `WS-${round}-${i}a`, `WS-${round}-${i}b`));
      const [a, b, c, d, e] = inc;
      const start = await alertState(t);
      // three shapes: the same sources in opposite orders into two targets; a chain (one's target
      // is the other's source); two incidents merged into each other. Plus a late alert for a source.
      const late = {
        externalId: c.externalId,
        title: 'late',
        severity: 'MEDIUM',
        alerts: [{ externalId: `${c.externalId}-late`, title: 'Late alert', severity: 'MEDIUM', evidence: [{ device: { deviceName: `WS-${round}-late` } }] }],
      };
      const [x, y, z, w, ingested] = await Promise.all([
        merge(t.tokens.EXPERT, a.id, [b.id, c.id]),
        merge(second.token, d.id, [c.id, b.id]),
        merge(t.tokens.EXPERT, e.id, [d.id]),
        merge(second.token, d.id, [e.id]),
        app.gql<any, any>(`mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id status } errors { code } } }`, { input: late }, t.tokens.INTEGRATION),
      ]);
      const results = [x, y, z, w].map(outcome);
      // b and c cannot go to two places: of the first two, exactly one merged them
      expect(results.slice(0, 2).sort()).toEqual(['merged', 'refused']);
      // e into d and d into e: not both
      expect(results.slice(2)).not.toEqual(['merged', 'merged']);
      expect(ingested.errors).toBeUndefined();
      expect(ingested.data.ingestIncident.errors).toEqual([]);
      expect(ingested.data.ingestIncident.incident.status).not.toBe('REDIRECTED');
      const end = await alertState(t);
      expect(end).toEqual({ alerts: start.alerts + 1, distinct: start.alerts + 1, redirected: 0, astray: 0 });
      // every alert of this round is on one of the round's incidents that is not REDIRECTED
      const rows = await app.database.query<{ status: string; n: number }>(
        `select i.status::text as status, count(*)::int as n from alerts a join incidents i on i.id = a.incident_id
          where i.id = any($1::uuid[]) group by i.status`,
        [`{${inc.map((i) => local(i.id)).join(',')}}`],
      );
      expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(11);
      expect(rows.map((r) => r.status)).not.toContain('REDIRECTED');
    }
  });
});
