// Queue filters (SPEC.md section 5): each filter alone, OR within a filter, AND across filters,
// text search over title, number and impacted assets, tenantIds for experts, and the banner.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, tenants, type IncidentRow } from '../src/db/schema';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import type { IncidentFilter } from './generated/graphql';
import { IngestMutation, QueueQuery, SummaryQuery, UpdateIncidentMutation } from './ops';

let app: TestApp;
let F: TenantFixture; // the tenant under test
let G: TenantFixture; // a second tenant, for experts and isolation
/** Incident global ids by fixture key. */
const inc: Record<string, string> = {};
const numberOf: Record<string, number> = {};

const day = (d: number, h = 0) => new Date(Date.UTC(2026, 0, d, h));
const WEIRD_TAG = 'a,b "c" {d}\\e';

async function ingest(t: TenantFixture, over: Record<string, unknown>) {
  const r = await app.gql(IngestMutation, { input: incidentInput(over) as never }, t.tokens.INTEGRATION);
  expect(r.data?.ingestIncident.errors).toEqual([]);
  return r.data!.ingestIncident.incident!;
}

const evidenceAlert = (ext: string, evidence: unknown[]) => [
  { externalId: `${ext}-a`, title: 'alert', severity: 'LOW', evidence },
];

beforeAll(async () => {
  app = await startApp();
  F = await newTenant(app);
  G = await newTenant(app);
  const fixtures: Record<string, { title: string; severity: string; evidence: unknown[] }> = {
    i1: {
      title: 'Ransomware on file server',
      severity: 'HIGH',
      evidence: [{ device: { deviceName: 'FS01', deviceGroup: 'File Servers' } }, { user: { accountName: 'alice', domain: 'CORP' } }],
    },
    i2: { title: 'Phishing email reported', severity: 'MEDIUM', evidence: [{ url: { url: 'https://login.example-phish.com/x' } }] },
    i3: { title: 'Suspicious PowerShell', severity: 'LOW', evidence: [{ process: { deviceName: 'WS-7', processName: 'powershell.exe' } }] },
    i4: { title: 'Credential dumping', severity: 'HIGH', evidence: [{ file: { deviceName: 'DC01', fileName: 'mimikatz.exe' } }] },
    i5: { title: 'Test alert 50% off', severity: 'INFORMATIONAL', evidence: [{ ip: { address: '203.0.113.9' } }] },
    i6: { title: 'under_score in title', severity: 'MEDIUM', evidence: [{ user: { accountName: 'bob' } }] },
  };
  for (const [key, f] of Object.entries(fixtures)) {
    const ext = `${key}-${Math.random()}`;
    const created = await ingest(F, { externalId: ext, title: f.title, severity: f.severity, alerts: evidenceAlert(ext, f.evidence) });
    inc[key] = created.id;
    numberOf[key] = created.number;
  }
  // tenant G: a look-alike incident that must never show up in F's queue
  await ingest(G, { title: 'Ransomware on file server', severity: 'HIGH', alerts: evidenceAlert(`g-${Math.random()}`, [{ device: { deviceName: 'FS01' } }]) });

  // assignments and custom tags through the API, as users set them
  const update = async (key: string, input: Record<string, unknown>) => {
    const r = await app.gql(UpdateIncidentMutation, { input: { incidentId: inc[key], ...input } }, F.tokens.OPERATOR);
    expect(r.data?.updateIncident.errors).toEqual([]);
  };
  await update('i1', { tags: ['vip'] });
  await update('i2', { tags: ['phish', 'vip'], assigneeId: encodeGlobalID('Principal', F.principals.EXPERT.id) });
  await update('i3', { assigneeId: encodeGlobalID('Principal', F.principals.OPERATOR.id) });
  await update('i4', { tags: [WEIRD_TAG], assignment: 'CUSTOMER' });
  await update('i6', { tags: ['vip'], assigneeId: encodeGlobalID('Principal', F.principals.READER.id) });

  // lifecycle state that no mutation of this issue sets yet: straight into the database
  const set = (key: string, fields: Partial<IncidentRow>) =>
    app.database.db.update(incidents).set(fields).where(eq(incidents.id, decodeGlobalID(inc[key]).id));
  const DE = ['Defender Experts'];
  await set('i1', { status: 'ACTIVE', createdAt: day(1), updatedAt: day(5) });
  await set('i2', { status: 'IN_PROGRESS', createdAt: day(2), updatedAt: day(6) });
  await set('i3', { status: 'AWAITING_CUSTOMER_ACTION', systemTags: DE, classification: 'TRUE_POSITIVE', determination: 'MALWARE', createdAt: day(3), updatedAt: day(7) });
  await set('i4', { status: 'RESOLVED', systemTags: DE, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', createdAt: day(4), updatedAt: day(8) });
  await set('i5', { status: 'RESOLVED', systemTags: DE, classification: 'INFORMATIONAL_EXPECTED_ACTIVITY', determination: 'SECURITY_TESTING', createdAt: day(5), updatedAt: day(9) });
  await set('i6', { status: 'AWAITING_CUSTOMER_ACTION', classification: 'TRUE_POSITIVE', determination: 'PHISHING', createdAt: day(6), updatedAt: day(10) });
});
afterAll(async () => {
  await app?.close();
});

/** The fixture keys the filter returns (sorted), checked against totalCount. */
async function keys(filter: IncidentFilter, token = F.tokens.READER): Promise<string[]> {
  const r = await app.gql(QueueQuery, { filter, first: 100 }, token);
  expect(r.errors).toBeUndefined();
  const ids = r.data!.incidents.edges.map((e) => e.node.id);
  expect(r.data!.incidents.totalCount).toBe(ids.length);
  const byId = Object.fromEntries(Object.entries(inc).map(([k, v]) => [v, k]));
  return ids.map((id) => byId[id] ?? `foreign:${id}`).sort();
}

describe('each filter alone, OR within it', () => {
  it.each<[string, IncidentFilter, string[]]>([
    ['no filter', {}, ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']],
    ['status ACTIVE', { status: ['ACTIVE'] }, ['i1']],
    ['status AWAITING or RESOLVED', { status: ['AWAITING_CUSTOMER_ACTION', 'RESOLVED'] }, ['i3', 'i4', 'i5', 'i6']],
    ['empty status list = no filter', { status: [] }, ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']],
    ['severity HIGH', { severity: ['HIGH'] }, ['i1', 'i4']],
    ['severity LOW or INFORMATIONAL', { severity: ['LOW', 'INFORMATIONAL'] }, ['i3', 'i5']],
    ['assignment UNASSIGNED', { assignment: ['UNASSIGNED'] }, ['i1', 'i5']],
    ['assignment EXPERTS', { assignment: ['EXPERTS'] }, ['i2']],
    ['assignment CUSTOMER', { assignment: ['CUSTOMER'] }, ['i3', 'i4', 'i6']],
    ['tag vip (custom)', { tags: ['vip'] }, ['i1', 'i2', 'i6']],
    ['tag Defender Experts (system)', { tags: ['Defender Experts'] }, ['i3', 'i4', 'i5']],
    ['tag phish or Defender Experts', { tags: ['phish', 'Defender Experts'] }, ['i2', 'i3', 'i4', 'i5']],
    ['a tag with commas, quotes, braces and a backslash', { tags: [WEIRD_TAG] }, ['i4']],
    ['a tag nobody uses', { tags: ['nope'] }, []],
    ['classification TRUE_POSITIVE', { classification: ['TRUE_POSITIVE'] }, ['i3', 'i6']],
    ['classification FALSE_POSITIVE or INFORMATIONAL', { classification: ['FALSE_POSITIVE', 'INFORMATIONAL_EXPECTED_ACTIVITY'] }, ['i4', 'i5']],
    ['classification UNKNOWN', { classification: ['UNKNOWN'] }, ['i1', 'i2']],
    ['determination MALWARE or PHISHING', { determination: ['MALWARE', 'PHISHING'] }, ['i3', 'i6']],
    ['determination SECURITY_TESTING', { determination: ['SECURITY_TESTING'] }, ['i5']],
    ['created after Jan 3 (inclusive)', { createdAfter: day(3).toISOString() }, ['i3', 'i4', 'i5', 'i6']],
    ['created before Jan 2 (inclusive)', { createdBefore: day(2).toISOString() }, ['i1', 'i2']],
    ['created within Jan 2-4', { createdAfter: day(2).toISOString(), createdBefore: day(4).toISOString() }, ['i2', 'i3', 'i4']],
    ['updated after Jan 9', { updatedAfter: day(9).toISOString() }, ['i5', 'i6']],
    ['updated before Jan 6, given with an offset', { updatedBefore: '2026-01-06T01:00:00+01:00' }, ['i1', 'i2']],
    ['an empty date range', { createdAfter: day(5).toISOString(), createdBefore: day(4).toISOString() }, []],
  ])('%s', async (_label, filter, expected) => {
    expect(await keys(filter)).toEqual(expected);
  });

  it('assigneeId: the named user, ORed with the assignment values', async () => {
    const operator = encodeGlobalID('Principal', F.principals.OPERATOR.id);
    const expert = encodeGlobalID('Principal', F.principals.EXPERT.id);
    expect(await keys({ assigneeId: operator })).toEqual(['i3']);
    expect(await keys({ assigneeId: expert })).toEqual(['i2']);
    expect(await keys({ assignment: ['UNASSIGNED'], assigneeId: operator })).toEqual(['i1', 'i3', 'i5']);
    // a user of another tenant, or one that never existed: nothing, and no error that tells them apart
    expect(await keys({ assigneeId: encodeGlobalID('Principal', G.principals.OPERATOR.id) })).toEqual([]);
    expect(await keys({ assigneeId: encodeGlobalID('Principal', '00000000-0000-4000-8000-000000000000') })).toEqual([]);
  });
});

describe('filters combined: AND across filters', () => {
  it.each<[string, IncidentFilter, string[]]>([
    ['awaiting or resolved, and high or medium', { status: ['AWAITING_CUSTOMER_ACTION', 'RESOLVED'], severity: ['HIGH', 'MEDIUM'] }, ['i4', 'i6']],
    ['... and tagged vip', { status: ['AWAITING_CUSTOMER_ACTION', 'RESOLVED'], severity: ['HIGH', 'MEDIUM'], tags: ['vip'] }, ['i6']],
    ['customer-assigned true positives', { assignment: ['CUSTOMER'], classification: ['TRUE_POSITIVE'] }, ['i3', 'i6']],
    ['search and status', { search: 'ransomware', status: ['RESOLVED'] }, []],
    ['search and severity', { search: 'e', severity: ['HIGH'] }, ['i1', 'i4']],
    ['dates and determination', { createdAfter: day(4).toISOString(), determination: ['PHISHING', 'NOT_MALICIOUS'] }, ['i4', 'i6']],
    ['contradictory filters', { status: ['ACTIVE'], classification: ['TRUE_POSITIVE'] }, []],
  ])('%s', async (_label, filter, expected) => {
    expect(await keys(filter)).toEqual(expected);
  });
});

describe('text search', () => {
  it.each<[string, string, string[]]>([
    ['a title word', 'ransomware', ['i1']],
    ['any case', 'rAnSoM', ['i1']],
    ['surrounding spaces', '   phishing email  ', ['i2']],
    ['an impacted device name', 'fs01', ['i1']],
    ['a device named by a process', 'ws-7', ['i3']],
    ['a device named by a file', 'DC01', ['i4']],
    ['a file name', 'mimikatz', ['i4']],
    ['a user account', 'alice', ['i1']],
    ['an IP address', '203.0.113.9', ['i5']],
    ['a URL', 'example-phish', ['i2']],
    ['a literal %, not a wildcard', '%', ['i5']],
    ['a literal _, not a wildcard', '_', ['i6']],
    ['nothing matching', 'no such thing', []],
    ['blank text = no filter', '   ', ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']],
  ])('finds %s', async (_label, search, expected) => {
    expect(await keys({ search })).toEqual(expected);
  });

  it('finds an incident by its number, with or without #', async () => {
    expect(await keys({ search: `#${numberOf.i4}` })).toEqual(['i4']);
    expect(await keys({ search: `#${numberOf.i3}` })).toEqual(['i3']);
    // a bare number also matches text: incident 3, and the IP 203.0.113.9 of i5
    expect(numberOf.i3).toBe(3);
    expect(await keys({ search: '3' })).toEqual(['i3', 'i5']);
  });

  it('a number is that incident, not every incident whose number starts with it', async () => {
    const T = await newTenant(app);
    const at = async (lastNumber: number, title: string) => {
      await app.database.db.update(tenants).set({ lastIncidentNumber: lastNumber }).where(eq(tenants.id, T.tenant.id));
      // assets without digits: the factory's default device names count up (WS-420 would match '42')
      return ingest(T, { title, alerts: evidenceAlert(`n${lastNumber}`, [{ device: { deviceName: 'BEACON-HOST' } }]) });
    };
    const n42 = await at(41, 'Beacon to known C2');
    const n420 = await at(419, 'Lateral movement');
    const n421 = await at(420, 'Exploit of CVE-2042-1234');
    expect([n42.number, n420.number, n421.number]).toEqual([42, 420, 421]);
    const titles = async (search: string) => {
      const r = await app.gql(QueueQuery, { filter: { search }, first: 10 }, T.tokens.READER);
      return r.data!.incidents.edges.map((e) => e.node.number).sort((x, y) => x - y);
    };
    expect(await titles('#42')).toEqual([42]);
    // a bare number may also be text in a title or an asset name, but not a longer incident number
    expect(await titles('42')).toEqual([42, 421]);
    expect(await titles('#420')).toEqual([420]);
  });

  it('never searches another tenant', async () => {
    expect(await keys({ search: 'ransomware' }, G.tokens.READER)).toEqual([expect.stringMatching(/^foreign:/)]);
    expect(await keys({ search: 'ransomware' })).toEqual(['i1']);
  });
});

describe('tenantIds (experts only)', () => {
  it('restricts an expert to some of the tenants it serves; unserved tenants give nothing', async () => {
    const expert = await expertServing(app, [F.tenant, G.tenant]);
    const all = await app.gql(QueueQuery, { first: 100 }, expert.token);
    expect(all.data?.incidents.totalCount).toBe(7);
    const onlyG = await app.gql(QueueQuery, { first: 100, filter: { tenantIds: [G.tenantGid] } }, expert.token);
    expect(onlyG.data?.incidents.edges.map((e) => e.node.tenant.slug)).toEqual([G.tenant.slug]);
    const both = await app.gql(QueueQuery, { first: 100, filter: { tenantIds: [F.tenantGid, G.tenantGid], severity: ['HIGH'] } }, expert.token);
    expect(both.data?.incidents.totalCount).toBe(3);
    const other = await newTenant(app);
    const unserved = await app.gql(QueueQuery, { first: 100, filter: { tenantIds: [other.tenantGid] } }, expert.token);
    expect(unserved.data?.incidents).toMatchObject({ totalCount: 0, edges: [] });
    // the single-tenant expert of F asking for G gets nothing either
    expect(await keys({ tenantIds: [G.tenantGid] }, F.tokens.EXPERT)).toEqual([]);
  });

  it.each(['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const)('is refused for a customer %s, even naming its own tenant', async (role) => {
    for (const tenantIds of [[F.tenantGid], [G.tenantGid]]) {
      const r = await app.gql(QueueQuery, { first: 10, filter: { tenantIds } }, F.tokens[role]);
      expect(r.data ?? null).toBeNull();
      expect(r.errors?.[0]).toMatchObject({
        message: 'tenantIds is for experts; customers always see their own tenant',
        extensions: { code: 'BAD_USER_INPUT', field: ['filter', 'tenantIds'] },
      });
    }
  });

  it('refuses a malformed tenant id', async () => {
    const r = await app.gql(QueueQuery, { first: 10, filter: { tenantIds: ['nope'] } }, F.tokens.EXPERT);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the banner', () => {
  it('counts incidents awaiting the customer and under expert investigation, whatever the queue filter', async () => {
    const r = await app.gql(SummaryQuery, {}, F.tokens.READER);
    expect(r.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 2, investigating: 1 });
    const g = await app.gql(SummaryQuery, {}, G.tokens.READER);
    expect(g.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 0, investigating: 0 });
    // it moves when an incident moves
    await app.database.db.update(incidents).set({ status: 'IN_PROGRESS' }).where(eq(incidents.id, decodeGlobalID(inc.i6).id));
    try {
      const after = await app.gql(SummaryQuery, {}, F.tokens.READER);
      expect(after.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 1, investigating: 2 });
    } finally {
      await app.database.db.update(incidents).set({ status: 'AWAITING_CUSTOMER_ACTION' }).where(eq(incidents.id, decodeGlobalID(inc.i6).id));
    }
  });

  it('an expert gets the sum over the tenants it serves, or one of them', async () => {
    await app.database.db.update(incidents).set({ status: 'IN_PROGRESS' }).where(eq(incidents.tenantId, G.tenant.id));
    const expert = await expertServing(app, [F.tenant, G.tenant]);
    const all = await app.gql(SummaryQuery, {}, expert.token);
    expect(all.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 2, investigating: 2 });
    const onlyF = await app.gql(SummaryQuery, { tenantId: F.tenantGid }, expert.token);
    expect(onlyF.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 2, investigating: 1 });
  });
});
