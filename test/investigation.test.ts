// SPEC.md section 4, "The investigation record is append-only": the experts' updates (shown to the
// customer live and kept), a summary on every concluded incident (false positives too), and a new
// revision for every publication and amendment, with the earlier narrative, indicators and cards
// still readable. Through the API, as a customer's frontend and an expert's console use it.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { incident, ingest, mutate, summary, truePositive, waitFor } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

let app: TestApp;
beforeAll(async () => {
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never);
});
afterAll(async () => {
  await app?.close();
});

const SUMMARY = 'narrative impact severityRationale timeline { at deviceName event } indicatorsOfAttack { techniqueId description } indicatorsOfCompromise { type value }';
const INVESTIGATION = `investigation {
  summary { ${SUMMARY} }
  revisions { number reason publishedAt publishedBy { id role } summary { ${SUMMARY} } actions { id kind title status } }
  updates(first: 50) { totalCount edges { cursor node { id body createdAt author { id name role } } } pageInfo { hasNextPage endCursor } } }`;

async function investigationOf(token: string, incidentId: string) {
  const r = await app.gql<any, any>(
    `query($id: ID!) { node(id: $id) { ... on Incident { status version managedResponse { investigationSummary { ${SUMMARY} } actions { id title } } ${INVESTIGATION} } } }`,
    { id: incidentId },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data.node;
}

const post = (token: string | null, incidentId: string, body: string) =>
  app.gql<any, any>(
    `mutation($input: PostInvestigationUpdateInput!) { postInvestigationUpdate(input: $input) {
       update { id body createdAt author { id name role } } errors { code message field } } }`,
    { input: { incidentId, body } },
    token,
  );

/** What an update may have written: its rows and activity entries (none when refused). */
async function written(incidentGid: string) {
  const id = decodeGlobalID(incidentGid).id;
  const [r] = await app.database.query<{ updates: number; entries: number; revisions: number }>(
    `select (select count(*) from investigation_updates where incident_id = $1)::int as updates,
            (select count(*) from activity where incident_id = $1 and field = 'investigationUpdate')::int as entries,
            (select count(*) from investigation_revisions where incident_id = $1)::int as revisions`,
    [id],
  );
  return { updates: Number(r.updates), entries: Number(r.entries), revisions: Number(r.revisions) };
}

/** A true positive under investigation (IN_PROGRESS), to post updates on. */
async function underInvestigation(t: TenantFixture) {
  const inc = await ingest(app, t);
  expect((await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id })).data.startInvestigation.errors).toEqual([]);
  return inc;
}

async function publish(t: TenantFixture, incidentId: string, input: Record<string, unknown>) {
  const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId, ...input });
  expect(r.data.publishManagedResponse.errors).toEqual([]);
  return r.data.publishManagedResponse.incident;
}

const amend = (token: string, input: Record<string, unknown>) =>
  mutate(app, token, 'amendManagedResponse', input, `incident { id status version ${INVESTIGATION} managedResponse { investigationSummary { narrative } actions { id title status performedBy } } }`);

/** A true positive published with one MANUAL card: AWAITING_CUSTOMER_ACTION. */
async function awaiting(t: TenantFixture) {
  const inc = await truePositive(app, t);
  const p = await publish(t, inc.id, { summary, actions: [{ kind: 'MANUAL', title: 'Reset the password of jdoe', instructions: 'Reset it' }] });
  expect(p.status).toBe('AWAITING_CUSTOMER_ACTION');
  return { inc, incident: p };
}

describe('postInvestigationUpdate', () => {
  it('an expert posts updates; the customer\'s READER reads them oldest first, with author and time; the incident itself does not change', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    const before = await incident(app, t.tokens.READER, inc.id);
    const bodies = ['Looking at the PowerShell payload now.', 'The payload beacons to 203.0.113.7; checking other devices.', 'No other device contacted it.'];
    const posted = [];
    for (const body of bodies) {
      const r = await post(t.tokens.EXPERT, inc.id, `\n  ${body}  `);
      expect(r.errors).toBeUndefined();
      expect(r.data.postInvestigationUpdate.errors).toEqual([]);
      expect(r.data.postInvestigationUpdate.update).toMatchObject({
        body,
        author: { id: encodeGlobalID('Principal', t.principals.EXPERT.id), name: t.principals.EXPERT.name, role: 'EXPERT' },
      });
      posted.push(r.data.postInvestigationUpdate.update);
    }
    const seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.investigation.updates.totalCount).toBe(3);
    expect(seen.investigation.updates.edges.map((e: any) => e.node)).toEqual(posted);
    const times = posted.map((u) => Date.parse(u.createdAt));
    expect(times.every((x) => Number.isFinite(x))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // pages: the second page starts after the first's cursor
    const page = await app.gql<any, any>(
      `query($id: ID!, $after: String) { node(id: $id) { ... on Incident { investigation { updates(first: 2, after: $after) { edges { node { body } } pageInfo { hasNextPage endCursor } } } } } }`,
      { id: inc.id },
      t.tokens.READER,
    );
    expect(page.data.node.investigation.updates.edges.map((e: any) => e.node.body)).toEqual(bodies.slice(0, 2));
    expect(page.data.node.investigation.updates.pageInfo.hasNextPage).toBe(true);
    const next = await app.gql<any, any>(
      `query($id: ID!, $after: String) { node(id: $id) { ... on Incident { investigation { updates(first: 2, after: $after) { edges { node { body } } pageInfo { hasNextPage } } } } } }`,
      { id: inc.id, after: page.data.node.investigation.updates.pageInfo.endCursor },
      t.tokens.READER,
    );
    expect(next.data.node.investigation.updates).toEqual({ edges: [{ node: { body: bodies[2] } }], pageInfo: { hasNextPage: false } });
    // a note, not a change: status, version and queue position stay
    const after = await incident(app, t.tokens.READER, inc.id);
    expect({ status: after.status, version: after.version }).toEqual({ status: before.status, version: before.version });
    // an update resolves by its global id for the tenant, and for no one else
    const q = `query($id: ID!) { node(id: $id) { ... on InvestigationUpdate { body author { role } } } }`;
    expect((await app.gql<any, any>(q, { id: posted[1].id }, t.tokens.READER)).data.node).toEqual({ body: bodies[1], author: { role: 'EXPERT' } });
    const other = await newTenant(app);
    expect((await app.gql<any, any>(q, { id: posted[1].id }, other.tokens.READER)).data.node).toBeNull();
    expect((await app.gql<any, any>(q, { id: posted[1].id }, other.tokens.EXPERT)).data.node).toBeNull();
    // and the other tenant's view of the incident is no view at all
    expect((await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: inc.id }, other.tokens.READER)).data.node).toBeNull();
  });

  it('is allowed on a RESOLVED incident too (a note after the fact), and on a false positive', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'Admin script' });
    const r = await post(t.tokens.EXPERT, inc.id, 'Watched for 24 hours after resolving: nothing recurred.');
    expect(r.data.postInvestigationUpdate.errors).toEqual([]);
    const seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.status).toBe('RESOLVED');
    expect(seen.investigation.updates.edges.map((e: any) => e.node.body)).toEqual(['Watched for 24 hours after resolving: nothing recurred.']);
  });

  it('customers (every role) get FORBIDDEN and no token UNAUTHENTICATED, with nothing written', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) {
      const r = await post(t.tokens[role], inc.id, 'I am not an expert');
      expect(r.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
      expect(r.data?.postInvestigationUpdate ?? null, role).toBeNull();
    }
    expect((await post(null, inc.id, 'hello?')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await written(inc.id)).toMatchObject({ updates: 0, entries: 0 });
  });

  it('an expert not serving the tenant gets NOT_FOUND, like for an id that does not exist; nothing written', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    const elsewhere = await newTenant(app);
    const stranger = await expertServing(app, [elsewhere.tenant]);
    const foreign = await post(stranger.token, inc.id, 'Wrong customer');
    expect(foreign.data.postInvestigationUpdate).toEqual({ update: null, errors: [{ code: 'NOT_FOUND', message: 'Incident was not found', field: ['input', 'incidentId'] }] });
    const missing = await post(stranger.token, encodeGlobalID('Incident', '00000000-0000-4000-8000-000000000000'), 'Nobody');
    expect(missing.data.postInvestigationUpdate.errors).toEqual(foreign.data.postInvestigationUpdate.errors);
    expect(await written(inc.id)).toMatchObject({ updates: 0, entries: 0 });
  });

  it('an empty (or blank) body and one over 30,000 characters are INVALID_INPUT with nothing written', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    for (const body of ['', '   \n\t ', 'x'.repeat(30_001)]) {
      const r = await post(t.tokens.EXPERT, inc.id, body);
      expect(r.data.postInvestigationUpdate.update).toBeNull();
      expect(r.data.postInvestigationUpdate.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'body'] })]);
    }
    expect(await written(inc.id)).toMatchObject({ updates: 0, entries: 0 });
    expect((await post(t.tokens.EXPERT, inc.id, 'x'.repeat(30_000))).data.postInvestigationUpdate.errors).toEqual([]);
    expect(await written(inc.id)).toMatchObject({ updates: 1, entries: 1 });
  });

  it('arrives live at the customer as an incidentChanged event whose activity is the update', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, 'subscription { incidentChanged { incident { id } activity { field note actorSide actor { id } } } }');
    try {
      await connected(client);
      await new Promise((r) => setTimeout(r, 100)); // registered at the hub
      const r = await post(t.tokens.EXPERT, inc.id, 'Isolating the device is next; stand by.');
      expect(r.data.postInvestigationUpdate.errors).toEqual([]);
      const events = await sub.waitFor(1);
      expect(events.map((e) => e.incidentChanged)).toEqual([
        {
          incident: { id: inc.id },
          activity: { field: 'INVESTIGATION_UPDATE', note: 'Isolating the device is next; stand by.', actorSide: 'EXPERTS', actor: { id: encodeGlobalID('Principal', t.principals.EXPERT.id) } },
        },
      ]);
    } finally {
      sub.dispose();
      await client.dispose();
    }
  });

  it('queues a webhook event investigation.update_posted (id, body, author) for an endpoint subscribed to it, and only for that one', async () => {
    const t = await newTenant(app);
    const endpoint = async (eventTypes: string[], path: string) => {
      const r = await mutate(app, t.tokens.ADMIN, 'createWebhookEndpoint', { url: `https://example.com/${path}`, eventTypes }, 'endpoint { id }');
      expect(r.data.createWebhookEndpoint.errors).toEqual([]);
      return r.data.createWebhookEndpoint.endpoint.id as string;
    };
    const subscribed = await endpoint(['INVESTIGATION_UPDATE_POSTED'], 'updates');
    const other = await endpoint(['CHAT_MESSAGE_ADDED'], 'chat');
    const inc = await underInvestigation(t);
    const r = await post(t.tokens.EXPERT, inc.id, 'Found the initial access vector: a phishing mail.');
    const update = r.data.postInvestigationUpdate.update;
    const deliveries = async (id: string) =>
      (
        await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { deliveries(first: 10) { nodes { eventType status payload incident { id } } } } } }`, { id }, t.tokens.ADMIN)
      ).data.node.deliveries.nodes as { eventType: string; status: string; payload: string; incident: { id: string } }[];
    const got = await deliveries(subscribed);
    expect(got.map((d) => [d.eventType, d.incident.id])).toEqual([['INVESTIGATION_UPDATE_POSTED', inc.id]]);
    const body = JSON.parse(got[0].payload);
    expect(body).toMatchObject({
      type: 'investigation.update_posted',
      data: {
        tenantId: t.tenantGid,
        incidentId: inc.id,
        incident: { id: inc.id, status: 'IN_PROGRESS' },
        update: {
          id: update.id,
          body: 'Found the initial access vector: a phishing mail.',
          author: { id: encodeGlobalID('Principal', t.principals.EXPERT.id), name: t.principals.EXPERT.name },
          createdAt: update.createdAt,
        },
      },
    });
    expect(body.data.eventId).toMatch(/^\d+$/);
    expect(JSON.stringify(body)).not.toContain('@'); // no email of the expert leaves the service
    expect(await deliveries(other)).toEqual([]);
  });
});

describe('every concluded incident carries an investigation summary', () => {
  it.each([
    ['FALSE_POSITIVE', 'NOT_MALICIOUS'],
    ['INFORMATIONAL_EXPECTED_ACTIVITY', 'SECURITY_TESTING'],
  ])('%s without investigationSummary: one CONCLUDED revision whose narrative is the one-line summary', async (classification, determination) => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    const r = await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification, determination, summary: '  Scheduled admin script, signed by IT  ' });
    expect(r.data.classifyIncident.errors).toEqual([]);
    const seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.status).toBe('RESOLVED');
    expect(seen.managedResponse).toBeNull();
    const expected = { narrative: 'Scheduled admin script, signed by IT', impact: null, severityRationale: null, timeline: [], indicatorsOfAttack: [], indicatorsOfCompromise: [] };
    expect(seen.investigation.summary).toEqual(expected);
    expect(seen.investigation.revisions).toEqual([
      { number: 1, reason: 'CONCLUDED', publishedAt: expect.any(String), publishedBy: { id: encodeGlobalID('Principal', t.principals.EXPERT.id), role: 'EXPERT' }, summary: expected, actions: [] },
    ]);
  });

  it('a false positive with investigationSummary keeps it whole; an empty narrative falls back to the one-line summary', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    const given = {
      narrative: 'The encoded PowerShell is the nightly inventory script; its hash matches the IT release.',
      impact: 'None',
      severityRationale: 'Benign, signed by IT',
      timeline: [{ at: '2026-11-27T02:00:00Z', deviceName: 'WS-1', event: 'inventory.ps1 started by the scheduler' }],
      indicatorsOfAttack: [{ techniqueId: 't1059.001', description: 'PowerShell (benign use)' }],
      indicatorsOfCompromise: [{ type: 'FILE_HASH', value: 'b'.repeat(64) }],
    };
    const r = await mutate(app, t.tokens.EXPERT, 'classifyIncident', {
      incidentId: inc.id,
      classification: 'FALSE_POSITIVE',
      determination: 'NOT_MALICIOUS',
      summary: 'Inventory script',
      investigationSummary: given,
    });
    expect(r.data.classifyIncident.errors).toEqual([]);
    const seen = await investigationOf(t.tokens.READER, inc.id);
    const stored = { ...given, timeline: [{ ...given.timeline[0], at: '2026-11-27T02:00:00.000Z' }], indicatorsOfAttack: [{ techniqueId: 'T1059.001', description: 'PowerShell (benign use)' }] };
    expect(seen.investigation.summary).toEqual(stored);
    expect(seen.investigation.revisions.map((v: any) => [v.number, v.reason, v.summary])).toEqual([[1, 'CONCLUDED', stored]]);
    expect(seen.status).toBe('RESOLVED');

    const other = await underInvestigation(t);
    const blank = await mutate(app, t.tokens.EXPERT, 'classifyIncident', {
      incidentId: other.id,
      classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
      determination: 'SECURITY_TESTING',
      summary: 'Red team exercise',
      investigationSummary: { narrative: '  ', impact: 'None' },
    });
    expect(blank.data.classifyIncident.errors).toEqual([]);
    expect((await investigationOf(t.tokens.READER, other.id)).investigation.summary).toMatchObject({ narrative: 'Red team exercise', impact: 'None' });
  });

  it('a bad investigationSummary is INVALID_INPUT naming the field, with nothing written', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    const r = await mutate(app, t.tokens.EXPERT, 'classifyIncident', {
      incidentId: inc.id,
      classification: 'FALSE_POSITIVE',
      determination: 'NOT_MALICIOUS',
      summary: 'Benign',
      investigationSummary: { narrative: 'x', indicatorsOfAttack: [{ techniqueId: 'powershell', description: 'x' }] },
    });
    expect(r.data.classifyIncident.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'investigationSummary', 'indicatorsOfAttack', '0', 'techniqueId'] })]);
    const seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.status).toBe('IN_PROGRESS');
    expect(seen.investigation).toMatchObject({ summary: null, revisions: [] });
  });

  it('a TRUE_POSITIVE with investigationSummary is refused (it goes with the managed response); without, no revision until published', async () => {
    const t = await newTenant(app);
    const inc = await underInvestigation(t);
    const refused = await mutate(app, t.tokens.EXPERT, 'classifyIncident', {
      incidentId: inc.id,
      classification: 'TRUE_POSITIVE',
      determination: 'MALWARE',
      summary: 'Malware',
      investigationSummary: { narrative: 'Ransomware precursor' },
    });
    expect(refused.data.classifyIncident.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'investigationSummary'], message: expect.stringMatching(/publishManagedResponse/) }),
    ]);
    let seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.status).toBe('IN_PROGRESS');
    expect((await incident(app, t.tokens.READER, inc.id)).classification).toBe('UNKNOWN');
    const ok = await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification: 'TRUE_POSITIVE', determination: 'MALWARE', summary: 'Malware' });
    expect(ok.data.classifyIncident.errors).toEqual([]);
    seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.investigation).toMatchObject({ summary: null, revisions: [] });
  });
});

describe('revisions: nothing published is overwritten', () => {
  it('publish → resolve → reopen → publish again keeps both revisions, each with its narrative, indicators and own cards', async () => {
    const t = await newTenant(app);
    const inc = await truePositive(app, t);
    const first = await publish(t, inc.id, { summary, actions: [{ kind: 'MANUAL', title: 'Reset the password of jdoe', instructions: 'Reset it' }] });
    const firstCard = first.managedResponse.actions[0].id;
    expect((await mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: firstCard }, 'action { status }')).data.completeManualAction.errors).toEqual([]);
    expect((await incident(app, t.tokens.READER, inc.id)).status).toBe('RESOLVED');
    expect((await mutate(app, t.tokens.EXPERT, 'reopenIncident', { incidentId: inc.id })).data.reopenIncident.errors).toEqual([]);
    const second = {
      narrative: 'The attacker came back through a second account and a new C2 domain.',
      indicatorsOfAttack: [{ techniqueId: 'T1078', description: 'Valid accounts' }],
      indicatorsOfCompromise: [{ type: 'DOMAIN', value: 'evil.example' }],
    };
    await publish(t, inc.id, { summary: second, actions: [{ kind: 'MANUAL', title: 'Block evil.example at the proxy', instructions: 'Block it' }] });

    const seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.status).toBe('AWAITING_CUSTOMER_ACTION');
    const [r1, r2] = seen.investigation.revisions;
    expect(seen.investigation.revisions).toHaveLength(2);
    expect([r1.number, r1.reason, r2.number, r2.reason]).toEqual([1, 'PUBLISHED', 2, 'PUBLISHED']);
    expect(r1.summary).toMatchObject({ narrative: summary.narrative, indicatorsOfAttack: [{ techniqueId: 'T1059.001' }], indicatorsOfCompromise: [{ type: 'FILE_HASH', value: 'a'.repeat(64) }] });
    expect(r2.summary).toMatchObject({ narrative: second.narrative, indicatorsOfAttack: [{ techniqueId: 'T1078' }], indicatorsOfCompromise: [{ type: 'DOMAIN', value: 'evil.example' }] });
    expect(r1.actions.map((a: any) => [a.id, a.title, a.status])).toEqual([[firstCard, 'Reset the password of jdoe', 'COMPLETED']]);
    expect(r2.actions.map((a: any) => [a.title, a.status])).toEqual([['Block evil.example at the proxy', 'PENDING']]);
    expect(Date.parse(r2.publishedAt)).toBeGreaterThanOrEqual(Date.parse(r1.publishedAt));
    // the current summary, both ways, is the latest; the managed response lists every card
    expect(seen.investigation.summary).toEqual(r2.summary);
    expect(seen.managedResponse.investigationSummary).toEqual(r2.summary);
    expect(seen.managedResponse.actions.map((a: any) => a.title)).toEqual(['Reset the password of jdoe', 'Block evil.example at the proxy']);
  });

  it('amendManagedResponse adds an AMENDED revision with a revised summary and its own cards; the earlier one stays', async () => {
    const t = await newTenant(app);
    const { inc, incident: published } = await awaiting(t);
    const revised = { ...summary, narrative: 'Also found: the attacker read the finance share.', indicatorsOfCompromise: [...summary.indicatorsOfCompromise, { type: 'IP', value: '203.0.113.7' }] };
    const r = await amend(t.tokens.EXPERT, {
      incidentId: inc.id,
      version: published.version,
      summary: revised,
      addActions: [
        { kind: 'MANUAL', title: 'Audit the finance share', instructions: 'Review access' },
        { kind: 'MANUAL', title: 'Rotate the share\'s service account', instructions: 'Rotate it' },
      ],
    });
    expect(r.data.amendManagedResponse.errors).toEqual([]);
    const amended = r.data.amendManagedResponse.incident;
    expect(amended.status).toBe('AWAITING_CUSTOMER_ACTION');
    expect(amended.version).toBeGreaterThan(published.version);
    const [r1, r2] = amended.investigation.revisions;
    expect(amended.investigation.revisions.map((v: any) => [v.number, v.reason])).toEqual([[1, 'PUBLISHED'], [2, 'AMENDED']]);
    expect(r1.summary.narrative).toBe(summary.narrative);
    expect(r1.summary.indicatorsOfCompromise).toEqual(summary.indicatorsOfCompromise);
    expect(r1.actions.map((a: any) => a.title)).toEqual(['Reset the password of jdoe']);
    expect(r2.summary.narrative).toBe(revised.narrative);
    expect(r2.summary.indicatorsOfCompromise).toEqual(revised.indicatorsOfCompromise);
    expect(r2.actions.map((a: any) => [a.title, a.status])).toEqual([
      ['Audit the finance share', 'PENDING'],
      ['Rotate the share\'s service account', 'PENDING'],
    ]);
    expect(amended.investigation.summary.narrative).toBe(revised.narrative);
    expect(amended.managedResponse.investigationSummary.narrative).toBe(revised.narrative);
    expect(amended.managedResponse.actions.map((a: any) => a.title)).toEqual(['Reset the password of jdoe', 'Audit the finance share', 'Rotate the share\'s service account']);
    // the customer reads the same record, and the activity says what happened
    const seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.investigation.revisions).toEqual(amended.investigation.revisions);
    const act = await app.gql<any, any>(
      `query($id: ID!) { node(id: $id) { ... on Incident { activity(first: 100) { nodes { field from to note } } } } }`,
      { id: inc.id },
      t.tokens.READER,
    );
    expect(act.data.node.activity.nodes).toContainEqual({ field: 'MANAGED_RESPONSE', from: 'published', to: 'amended', note: 'Revision 2: summary revised, 2 actions added' });
  });

  it('an amendment without a summary carries the previous revision\'s summary over', async () => {
    const t = await newTenant(app);
    const { inc } = await awaiting(t);
    const r = await amend(t.tokens.EXPERT, { incidentId: inc.id, addActions: [{ kind: 'MANUAL', title: 'Check the VPN logs', instructions: 'Look for jdoe' }] });
    expect(r.data.amendManagedResponse.errors).toEqual([]);
    const [r1, r2] = r.data.amendManagedResponse.incident.investigation.revisions;
    expect(r2).toMatchObject({ number: 2, reason: 'AMENDED' });
    expect(r2.summary).toEqual(r1.summary);
    expect(r2.actions.map((a: any) => a.title)).toEqual(['Check the VPN logs']);
    expect(r1.actions.map((a: any) => a.title)).toEqual(['Reset the password of jdoe']);
  });

  it('an amendment\'s one-click card is started by the experts at once in an OPERATOR tenant, and completes', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const { inc } = await awaiting(t);
    const r = await amend(t.tokens.EXPERT, { incidentId: inc.id, addActions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }] });
    expect(r.data.amendManagedResponse.errors).toEqual([]);
    const card = r.data.amendManagedResponse.incident.investigation.revisions[1].actions[0];
    expect(card.kind).toBe('ISOLATE_DEVICE');
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.managedResponse.actions.find((a: any) => a.id === card.id)?.status === 'COMPLETED');
    expect(done.managedResponse.actions.find((a: any) => a.id === card.id)).toMatchObject({ performedBy: 'EXPERTS', target: { isolated: true } });
    expect(done.status).toBe('AWAITING_CUSTOMER_ACTION'); // the manual card still waits
  });

  it('is refused with INVALID_TRANSITION on a RESOLVED incident and on one without a managed response; nothing written', async () => {
    const t = await newTenant(app);
    // resolved: the customer completed the only card
    const { inc, incident: published } = await awaiting(t);
    await mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: published.managedResponse.actions[0].id }, 'action { status }');
    expect((await incident(app, t.tokens.READER, inc.id)).status).toBe('RESOLVED');
    const resolved = await amend(t.tokens.EXPERT, { incidentId: inc.id, summary: { narrative: 'Late finding' } });
    expect(resolved.data.amendManagedResponse).toEqual({
      incident: null,
      errors: [expect.objectContaining({ code: 'INVALID_TRANSITION', message: expect.stringMatching(/RESOLVED.*[Rr]eopen/) })],
    });
    expect((await written(inc.id)).revisions).toBe(1);
    // a true positive not yet published, and a false positive: no managed response
    const tp = await truePositive(app, t);
    const fp = await underInvestigation(t);
    await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: fp.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'Benign' });
    for (const id of [tp.id, fp.id]) {
      const r = await amend(t.tokens.EXPERT, { incidentId: id, addActions: [{ kind: 'MANUAL', title: 'x', instructions: 'x' }] });
      expect(r.data.amendManagedResponse.errors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION', message: expect.stringMatching(/no managed response.*publish/) })]);
    }
    expect((await written(tp.id)).revisions).toBe(0);
    expect((await written(fp.id)).revisions).toBe(1); // its conclusion only
  });

  it('a stale version is VERSION_CONFLICT; nothing to amend with is INVALID_INPUT; a card on a foreign target names addActions', async () => {
    const t = await newTenant(app);
    const { inc, incident: published } = await awaiting(t);
    await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId: inc.id, tags: ['touched'] }, 'incident { version }');
    const stale = await amend(t.tokens.EXPERT, { incidentId: inc.id, version: published.version, summary: { narrative: 'Stale' } });
    expect(stale.data.amendManagedResponse.errors).toEqual([expect.objectContaining({ code: 'VERSION_CONFLICT', field: ['input', 'version'] })]);
    for (const input of [{}, { addActions: [] }]) {
      const r = await amend(t.tokens.EXPERT, { incidentId: inc.id, ...input });
      expect(r.data.amendManagedResponse.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT' })]);
    }
    const other = await newTenant(app);
    const foreignDevice = (await ingest(app, other)).devices[0].id;
    const bad = await amend(t.tokens.EXPERT, { incidentId: inc.id, addActions: [{ kind: 'MANUAL', title: 'ok', instructions: 'ok' }, { kind: 'ISOLATE_DEVICE', targetId: foreignDevice }] });
    expect(bad.data.amendManagedResponse.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'addActions', '1', 'targetId'] })]);
    const seen = await investigationOf(t.tokens.READER, inc.id);
    expect(seen.investigation.revisions).toHaveLength(1);
    expect(seen.managedResponse.actions).toHaveLength(1);
    expect(seen.investigation.summary.narrative).toBe(summary.narrative);
  });

  it('customers get FORBIDDEN; an expert not serving the tenant gets NOT_FOUND', async () => {
    const t = await newTenant(app);
    const { inc } = await awaiting(t);
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) {
      const r = await amend(t.tokens[role], { incidentId: inc.id, summary: { narrative: 'Mine' } });
      expect(r.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
    }
    const stranger = await expertServing(app, [(await newTenant(app)).tenant]);
    const r = await amend(stranger.token, { incidentId: inc.id, summary: { narrative: 'Not mine' } });
    expect(r.data.amendManagedResponse.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'incidentId'] })]);
    expect((await written(inc.id)).revisions).toBe(1);
  });
});
