// Suppression rules (SPEC.md section 8): every field × operator, case-insensitive, AND of
// conditions; expiry and deactivation; HIGH severity only when the rule says so; what a suppressed
// incident looks like (status, verdict, tag, activity, revision) and the rule's hit count; never
// another tenant's incident; the preview; undo; validation; who may do what.
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGlob } from '../src/domain/suppression-match';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { mutate } from './helpers/response';

let app: TestApp;
let T: TenantFixture; // the tenant whose rules most tests write
let U: TenantFixture; // another tenant, never touched by T's rules
let both: { token: string; principal: { id: string } }; // an expert serving T and U

const RULE_FIELDS = 'rule { id name active hitCount lastHitAt includeHighSeverity expiresAt conditions { field operator value } createdBy { id } tenant { id } }';
const INCIDENT = `id number status assignment classification determination systemTags resolvingComment version
  suppressedBy { id name }
  investigation { revisions { number reason publishedBy { id } summary { narrative } } }
  activity(first: 100) { nodes { field from to note } }`;

type Condition = { field: string; operator: string; value: string };

const gid = (id: string) => decodeGlobalID(id).id;
const token = () => randomUUID().replace(/-/g, '').slice(0, 10);

async function createRule(by: string, input: Record<string, unknown>) {
  const r = await mutate(app, by, 'createSuppressionRule', input, RULE_FIELDS);
  expect(r.errors).toBeUndefined();
  expect(r.data.createSuppressionRule.errors).toEqual([]);
  return r.data.createSuppressionRule.rule as { id: string; name: string; active: boolean; hitCount: number; lastHitAt: string | null; createdBy: { id: string } };
}

const rule = (name: string, conditions: Condition[], over: Record<string, unknown> = {}) => ({ name, conditions, ...over });

/** An incident of one LOW alert with neutral values, the given fact set on one field. */
function incidentWith(field: string | null, value = '', over: Record<string, unknown> = {}) {
  const ext = `s-${randomUUID()}`;
  const alert: Record<string, unknown> & { evidence: unknown[] } = {
    externalId: `${ext}-a`,
    title: 'Neutral alert',
    severity: 'LOW',
    category: 'Neutral',
    detectionSource: 'Neutral source',
    evidence: [{ device: { deviceName: `dev-${token()}`, deviceGroup: 'Neutral group' } }],
  };
  switch (field) {
    case 'ALERT_TITLE':
      alert.title = value;
      break;
    case 'DETECTION_SOURCE':
      alert.detectionSource = value;
      break;
    case 'CATEGORY':
      alert.category = value;
      break;
    case 'DEVICE_GROUP':
      alert.evidence = [{ device: { deviceName: `dev-${token()}`, deviceGroup: value } }];
      break;
    case 'DEVICE_NAME':
      alert.evidence = [{ device: { deviceName: value } }];
      break;
    case 'ACCOUNT':
      alert.evidence.push({ user: { accountName: value } });
      break;
    case 'EVIDENCE_VALUE':
      alert.evidence.push({ process: { processName: value } });
      break;
  }
  return { externalId: ext, title: `Incident ${ext}`, severity: 'MEDIUM', alerts: [alert], ...over };
}

/** Ingest as the tenant's integration; the incident as its expert sees it (an integration reads no rules). */
async function ingestAs(t: TenantFixture, input: Record<string, unknown>) {
  const r = await app.gql<any, any>(
    `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id status suppressedBy { id } } errors { code message } } }`,
    { input },
    t.tokens.INTEGRATION,
  );
  expect(r.errors).toBeUndefined();
  expect(r.data.ingestIncident.errors).toEqual([]);
  expect(r.data.ingestIncident.incident.suppressedBy).toBeNull();
  return incidentById(r.data.ingestIncident.incident.id, t.tokens.EXPERT);
}

async function incidentById(id: string, by: string) {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { ${INCIDENT} } } }`, { id }, by);
  expect(r.errors).toBeUndefined();
  return r.data.node;
}

async function ruleById(id: string, by: string) {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on SuppressionRule { id name active hitCount lastHitAt } } }`, { id }, by);
  expect(r.errors).toBeUndefined();
  return r.data.node;
}

const suppressed = (i: { status: string; systemTags: string[] }) => i.status === 'RESOLVED' && i.systemTags.includes('Suppressed');

async function previewOf(by: string, input: Record<string, unknown>) {
  const r = await app.gql<any, any>(`query($input: SuppressionRuleInput!) { previewSuppressionRule(input: $input) { matches sample { id } } }`, { input }, by);
  expect(r.errors).toBeUndefined();
  return r.data.previewSuppressionRule as { matches: number; sample: { id: string }[] };
}

beforeAll(async () => {
  app = await startApp();
  T = await newTenant(app);
  U = await newTenant(app);
  both = await expertServing(app, [T.tenant, U.tenant]);
});
afterAll(async () => {
  await app?.close();
});

describe('matching: field × operator', () => {
  const fields = ['ALERT_TITLE', 'DETECTION_SOURCE', 'CATEGORY', 'DEVICE_GROUP', 'DEVICE_NAME', 'ACCOUNT', 'EVIDENCE_VALUE'];
  // the incident's value is `Alpha-<tok>-Zeta`; each rule value is written in another case
  const operators: { operator: string; value: (tok: string) => string; nearMiss: (tok: string) => string }[] = [
    { operator: 'EQUALS', value: (tok) => `ALPHA-${tok.toUpperCase()}-ZETA`, nearMiss: (tok) => `Alpha-${tok}-Zeta2` },
    { operator: 'CONTAINS', value: (tok) => `${tok.toUpperCase()}-ZE`, nearMiss: (tok) => `Alpha-${tok}_Zeta` },
    { operator: 'GLOB', value: (tok) => `ALPHA-${tok.toUpperCase()}-?ETA*`, nearMiss: (tok) => `Alpha-${tok}-Zeeta` },
  ];
  const cases = fields.flatMap((field) => operators.map((o) => ({ field, ...o })));

  it.each(cases)('$field $operator matches case-insensitively, and a near miss does not', async ({ field, operator, value, nearMiss }) => {
    const tok = token();
    const r = await createRule(T.tokens.EXPERT, rule(`${field} ${operator} ${tok}`, [{ field, operator, value: value(tok) }]));
    const miss = await ingestAs(T, incidentWith(field, nearMiss(tok)));
    expect(miss.status).toBe('ACTIVE');
    expect(miss.suppressedBy).toBeNull();
    const hit = await ingestAs(T, incidentWith(field, `Alpha-${tok}-Zeta`));
    expect(suppressed(hit)).toBe(true);
    expect(hit.suppressedBy).toEqual({ id: r.id, name: r.name });
    expect((await ruleById(r.id, T.tokens.READER)).hitCount).toBe(1);
    // the preview runs the same matcher (after its SQL prefilter): the hit, not the near miss
    const p = await previewOf(T.tokens.EXPERT, rule('preview', [{ field, operator, value: value(tok) }]));
    expect(p).toEqual({ matches: 1, sample: [{ id: hit.id }] });
  });

  it('ACCOUNT matches the name, DOMAIN\\name and the UPN of user evidence', async () => {
    const forms = [(tok: string) => `corp-${tok}\\SVC-${tok.toUpperCase()}`, (tok: string) => `SVC-${tok}@Example.COM`, (tok: string) => `svc-${tok}`];
    for (const form of forms) {
      const tok = token();
      const r = await createRule(T.tokens.EXPERT, rule(`account ${tok}`, [{ field: 'ACCOUNT', operator: 'EQUALS', value: form(tok) }]));
      const user = { accountName: `svc-${tok}`, domain: `CORP-${tok}`, upn: `svc-${tok}@example.com` };
      const other = incidentWith(null);
      other.alerts[0].evidence.push({ user: { ...user, accountName: `svc-${tok}-2`, upn: `svc-${tok}-2@example.com` } });
      expect((await ingestAs(T, other)).status, form(tok)).toBe('ACTIVE');
      const input = incidentWith(null);
      input.alerts[0].evidence.push({ user });
      expect((await ingestAs(T, input)).suppressedBy?.id, form(tok)).toBe(r.id);
      expect((await previewOf(T.tokens.EXPERT, rule('preview', [{ field: 'ACCOUNT', operator: 'EQUALS', value: form(tok) }]))).matches, form(tok)).toBe(1);
    }
  });

  it('EVIDENCE_VALUE matches evidence details too: a file hash, a command line', async () => {
    const tok = token();
    const hash = randomUUID().replace(/-/g, '').padEnd(64, 'b');
    await createRule(T.tokens.EXPERT, rule(`hash ${tok}`, [{ field: 'EVIDENCE_VALUE', operator: 'EQUALS', value: hash.toUpperCase() }]));
    await createRule(T.tokens.EXPERT, rule(`cmd ${tok}`, [{ field: 'EVIDENCE_VALUE', operator: 'GLOB', value: `*scanner.exe --profile ${tok} *` }]));
    const a = incidentWith(null);
    a.alerts[0].evidence.push({ file: { deviceName: `dev-${tok}`, fileName: 'tool.exe', sha256: hash } });
    expect((await ingestAs(T, a)).suppressedBy.name).toBe(`hash ${tok}`);
    const b = incidentWith(null);
    b.alerts[0].evidence.push({ process: { deviceName: `dev-${tok}`, processName: 'scanner.exe', commandLine: `C:\\Tools\\Scanner.exe --profile ${tok} --quiet` } });
    expect((await ingestAs(T, b)).suppressedBy.name).toBe(`cmd ${tok}`);
  });

  it('DEVICE_GROUP is the inventory group: evidence claiming another group for a known device does not match', async () => {
    const tok = token();
    const device = `known-${tok}`;
    await ingestAs(T, { ...incidentWith(null), alerts: [{ externalId: `k-${tok}`, title: 'x', severity: 'LOW', evidence: [{ device: { deviceName: device, deviceGroup: `Servers-${tok}` } }] }] });
    await createRule(T.tokens.EXPERT, rule(`lab ${tok}`, [{ field: 'DEVICE_GROUP', operator: 'EQUALS', value: `Lab-${tok}` }]));
    const claimed = await ingestAs(T, { ...incidentWith(null), alerts: [{ externalId: `c-${tok}`, title: 'x', severity: 'LOW', evidence: [{ device: { deviceName: device, deviceGroup: `Lab-${tok}` } }] }] });
    expect(claimed.status).toBe('ACTIVE');
  });

  it('ANDs the conditions, each satisfied by any alert of the incident', async () => {
    const tok = token();
    await createRule(T.tokens.EXPERT, rule(`and ${tok}`, [
      { field: 'ALERT_TITLE', operator: 'CONTAINS', value: `nightly-${tok}` },
      { field: 'DEVICE_GROUP', operator: 'EQUALS', value: `Build-${tok}` },
    ]));
    expect((await ingestAs(T, incidentWith('ALERT_TITLE', `Nightly-${tok} job`))).status).toBe('ACTIVE');
    expect((await ingestAs(T, incidentWith('DEVICE_GROUP', `Build-${tok}`))).status).toBe('ACTIVE');
    const ext = `and-${tok}`;
    const two = await ingestAs(T, {
      externalId: ext,
      title: 'Two alerts',
      severity: 'LOW',
      alerts: [
        { externalId: `${ext}-1`, title: `NIGHTLY-${tok} job`, severity: 'LOW', evidence: [] },
        { externalId: `${ext}-2`, title: 'Other', severity: 'LOW', evidence: [{ device: { deviceName: `b-${tok}`, deviceGroup: `build-${tok}` } }] },
      ],
    });
    expect(two.suppressedBy?.name).toBe(`and ${tok}`);
  });

  it('does not re-run the rules on alerts that join an existing incident', async () => {
    const tok = token();
    const first = incidentWith(null);
    const open = await ingestAs(T, first);
    await createRule(T.tokens.EXPERT, rule(`late ${tok}`, [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `late-${tok}` }]));
    const again = await ingestAs(T, { ...first, alerts: [{ externalId: `${first.externalId}-late`, title: `late-${tok}`, severity: 'LOW', evidence: [] }] });
    expect(again.id).toBe(open.id);
    expect(again.status).toBe('ACTIVE');
  });

  it('compiles GLOB patterns: * and ? only, everything else literal, no catastrophic backtracking', () => {
    const table: [string, string, boolean][] = [
      ['a*b', 'ab', true],
      ['a*b', 'axxb', true],
      ['a*b', 'axxbc', false],
      ['a*a', 'a', false],
      ['*.exe', 'evil.exe', true],
      ['*.exe', 'evilxexe', false],
      ['?', 'é', true],
      ['??', 'é', false],
      ['c:\\temp\\*', 'c:\\temp\\x.ps1', true],
      ['(x)[y]{1}+$^|', '(x)[y]{1}+$^|', true],
      ['*mid*', 'has mid inside', true],
      ['*mid*', 'nothing', false],
      ['a?c*d?f', 'abcxxdef', true],
      ['a?c*d?f', 'abcxxdf', false],
      ['line*end', 'line\nend', true],
    ];
    for (const [pattern, value, expected] of table) expect(compileGlob(pattern)(value), `${pattern} ~ ${value}`).toBe(expected);
    const evil = compileGlob(`${'*a'.repeat(30)}*b`);
    const started = Date.now();
    expect(evil('a'.repeat(2_000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('a suppressed incident', () => {
  it('is resolved as expected activity with the tag, activity entries and a revision naming the rule; the rule counts the hit', async () => {
    const tok = token();
    const before = Date.now();
    const r = await createRule(T.tokens.ADMIN, rule(`Backup agent ${tok}`, [{ field: 'DETECTION_SOURCE', operator: 'EQUALS', value: `backup-${tok}` }]));
    const i = await ingestAs(T, incidentWith('DETECTION_SOURCE', `Backup-${tok}`));
    expect(i).toMatchObject({
      status: 'RESOLVED',
      assignment: 'UNASSIGNED',
      classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
      determination: 'CONFIRMED_ACTIVITY',
      suppressedBy: { id: r.id, name: r.name },
    });
    expect(i.systemTags).toContain('Suppressed');
    expect(i.resolvingComment).toContain(r.name);
    const activity = i.activity.nodes as { field: string; from: string | null; to: string | null; note: string | null }[];
    expect(activity[0]).toMatchObject({ field: 'STATUS', from: null, to: 'ACTIVE' });
    expect(activity).toContainEqual(expect.objectContaining({ field: 'STATUS', from: 'ACTIVE', to: 'RESOLVED', note: `Suppressed by rule "${r.name}"` }));
    expect(activity).toContainEqual(expect.objectContaining({ field: 'SUPPRESSED_BY', to: r.name }));
    const [revision] = i.investigation.revisions;
    expect(r.createdBy.id).toBe(encodeGlobalID('Principal', T.principals.ADMIN.id));
    expect(revision).toMatchObject({ number: 1, reason: 'CONCLUDED', publishedBy: { id: r.createdBy.id } });
    expect(revision.summary.narrative).toContain(`"${r.name}"`);
    const after = await ruleById(r.id, T.tokens.READER);
    expect(after.hitCount).toBe(1);
    expect(new Date(after.lastHitAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    // customers see what silenced it
    expect((await incidentById(i.id, T.tokens.READER)).suppressedBy.id).toBe(r.id);
  });

  it('counts every hit of concurrent ingestions', async () => {
    const tok = token();
    const r = await createRule(T.tokens.EXPERT, rule(`burst ${tok}`, [{ field: 'CATEGORY', operator: 'EQUALS', value: `burst-${tok}` }]));
    const all = await Promise.all(Array.from({ length: 8 }, () => ingestAs(T, incidentWith('CATEGORY', `burst-${tok}`))));
    expect(all.every(suppressed)).toBe(true);
    expect((await ruleById(r.id, T.tokens.READER)).hitCount).toBe(8);
  });

  it('HIGH severity only when the rule includes it', async () => {
    const tok = token();
    const plain = await createRule(T.tokens.EXPERT, rule(`plain ${tok}`, [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `high-${tok}` }]));
    const high = await ingestAs(T, incidentWith('ALERT_TITLE', `high-${tok}`, { severity: 'HIGH' }));
    expect(high.status).toBe('ACTIVE');
    expect((await ruleById(plain.id, T.tokens.READER)).hitCount).toBe(0);
    const withHigh = await createRule(T.tokens.EXPERT, rule(`with high ${tok}`, [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `high-${tok}` }], { includeHighSeverity: true }));
    const again = await ingestAs(T, incidentWith('ALERT_TITLE', `high-${tok}`, { severity: 'HIGH' }));
    expect(again.suppressedBy.id).toBe(withHigh.id);
    // a MEDIUM one still goes to the older rule
    expect((await ingestAs(T, incidentWith('ALERT_TITLE', `high-${tok}`))).suppressedBy.id).toBe(plain.id);
  });

  it('an expired or deactivated rule does not match, and says it is not active', async () => {
    const tok = token();
    const r = await createRule(T.tokens.EXPERT, rule(`expiring ${tok}`, [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `exp-${tok}` }], { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
    expect(r.active).toBe(true);
    // an hour passes
    await app.database.db.execute(sql`update suppression_rules set expires_at = now() - interval '1 second' where id = ${gid(r.id)}`);
    expect((await ruleById(r.id, T.tokens.READER)).active).toBe(false);
    expect((await ingestAs(T, incidentWith('ALERT_TITLE', `exp-${tok}`))).status).toBe('ACTIVE');
    // reactivating an expired rule needs a new expiry
    const stale = await mutate(app, T.tokens.EXPERT, 'updateSuppressionRule', { ruleId: r.id, active: true }, RULE_FIELDS);
    expect(stale.data.updateSuppressionRule.errors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'expiresAt'] }]);
    const renewed = await mutate(app, T.tokens.EXPERT, 'updateSuppressionRule', { ruleId: r.id, active: true, expiresAt: null }, RULE_FIELDS);
    expect(renewed.data.updateSuppressionRule.rule).toMatchObject({ active: true, expiresAt: null });
    expect(suppressed(await ingestAs(T, incidentWith('ALERT_TITLE', `exp-${tok}`)))).toBe(true);
    // deactivated
    const off = await mutate(app, T.tokens.ADMIN, 'updateSuppressionRule', { ruleId: r.id, active: false }, RULE_FIELDS);
    expect(off.data.updateSuppressionRule.rule).toMatchObject({ active: false, hitCount: 1 });
    expect((await ingestAs(T, incidentWith('ALERT_TITLE', `exp-${tok}`))).status).toBe('ACTIVE');
  });

  it('an edited rule matches on its new conditions at once', async () => {
    const tok = token();
    const r = await createRule(T.tokens.EXPERT, rule(`edited ${tok}`, [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `old-${tok}` }]));
    expect(suppressed(await ingestAs(T, incidentWith('ALERT_TITLE', `old-${tok}`)))).toBe(true);
    const u = await mutate(app, T.tokens.EXPERT, 'updateSuppressionRule', { ruleId: r.id, conditions: [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `new-${tok}` }] }, RULE_FIELDS);
    expect(u.data.updateSuppressionRule.errors).toEqual([]);
    expect((await ingestAs(T, incidentWith('ALERT_TITLE', `old-${tok}`))).status).toBe('ACTIVE');
    expect(suppressed(await ingestAs(T, incidentWith('ALERT_TITLE', `new-${tok}`)))).toBe(true);
  });

  it("never suppresses another tenant's incident", async () => {
    const tok = token();
    const r = await createRule(T.tokens.EXPERT, rule(`own only ${tok}`, [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: `shared-${tok}` }]));
    const other = await ingestAs(U, incidentWith('ALERT_TITLE', `shared-${tok}`));
    expect(other.status).toBe('ACTIVE');
    expect(other.suppressedBy).toBeNull();
    expect((await ruleById(r.id, T.tokens.READER)).hitCount).toBe(0);
    // the expert serving both writes U's rule by naming U
    const forU = await createRule(both.token, rule(`for U ${tok}`, [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: `shared-${tok}` }], { tenantId: U.tenantGid }));
    expect(forU).toMatchObject({ tenant: { id: U.tenantGid } });
    expect((await ingestAs(U, incidentWith('ALERT_TITLE', `shared-${tok}`))).suppressedBy.id).toBe(forU.id);
    expect((await ingestAs(T, incidentWith('ALERT_TITLE', `shared-${tok}`))).suppressedBy.id).toBe(r.id);
  });
});

describe('previewSuppressionRule', () => {
  let P: TenantFixture;
  const tok = token();
  const ids: string[] = [];
  const preview = (input: Record<string, unknown>, by = P.tokens.EXPERT) =>
    app.gql<any, any>(`query($input: SuppressionRuleInput!) { previewSuppressionRule(input: $input) { matches sample { id status } } }`, { input }, by);

  beforeAll(async () => {
    P = await newTenant(app);
    // seven matches, created one minute apart (the oldest first), plus look-alikes that must not count
    for (let n = 0; n < 7; n++) ids.push((await ingestAs(P, incidentWith('ALERT_TITLE', `Vuln scan ${tok} #${n}`))).id);
    await app.database.db.execute(sql`update incidents set created_at = now() - (${7} - number) * interval '1 minute' where tenant_id = ${P.tenant.id}`);
    const old = await ingestAs(P, incidentWith('ALERT_TITLE', `Vuln scan ${tok} old`));
    await app.database.db.execute(sql`update incidents set created_at = now() - interval '31 days' where id = ${gid(old.id)}`);
    const merged = await ingestAs(P, incidentWith('ALERT_TITLE', `Vuln scan ${tok} merged`));
    await app.database.db.execute(sql`update incidents set status = 'REDIRECTED' where id = ${gid(merged.id)}`);
    await ingestAs(P, incidentWith('ALERT_TITLE', `Vuln scan ${tok} high`, { severity: 'HIGH' }));
    await ingestAs(P, incidentWith('ALERT_TITLE', `Unrelated ${tok}`));
    await ingestAs(P, incidentWith('ALERT_TITLE', 'Rapport été trimestriel'));
  });

  it('counts the last 30 days (REDIRECTED aside) and samples the five most recent', async () => {
    const r = await preview(rule('scan', [{ field: 'ALERT_TITLE', operator: 'GLOB', value: `VULN SCAN ${tok} #?` }]));
    expect(r.errors).toBeUndefined();
    expect(r.data.previewSuppressionRule.matches).toBe(7);
    expect(r.data.previewSuppressionRule.sample.map((i: { id: string }) => i.id)).toEqual([...ids].reverse().slice(0, 5));
    const broader = await preview(rule('scan', [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: `vuln scan ${tok}` }], { includeHighSeverity: true }));
    expect(broader.data.previewSuppressionRule.matches).toBe(8); // + HIGH; not the old one, not the merged one
    const and = await preview(rule('scan', [
      { field: 'ALERT_TITLE', operator: 'CONTAINS', value: `vuln scan ${tok}` },
      { field: 'DEVICE_GROUP', operator: 'EQUALS', value: 'neutral GROUP' },
    ]));
    expect(and.data.previewSuppressionRule.matches).toBe(7);
  });

  it('counts incidents whatever their status, and writes nothing', async () => {
    await createRule(P.tokens.ADMIN, rule(`real ${tok}`, [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: `Unrelated ${tok}` }]));
    const closed = await ingestAs(P, incidentWith('ALERT_TITLE', `Unrelated ${tok} again`));
    expect(suppressed(closed)).toBe(true);
    const r = await preview(rule('unrelated', [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: `UNRELATED ${tok}` }]));
    expect(r.data.previewSuppressionRule.matches).toBe(2);
    expect(r.data.previewSuppressionRule.sample.map((i: { status: string }) => i.status)).toEqual(['RESOLVED', 'ACTIVE']);
    const rules = await app.gql<any, any>(`query($t: ID) { suppressionRules(tenantId: $t) { name hitCount } }`, { t: P.tenantGid }, P.tokens.READER);
    expect(rules.data.suppressionRules).toEqual([{ name: `real ${tok}`, hitCount: 1 }]);
  });

  it('matches non-ASCII text case-insensitively (no prefilter can drop it)', async () => {
    const r = await preview(rule('summer', [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: 'RAPPORT ÉTÉ' }]));
    expect(r.data.previewSuppressionRule.matches).toBe(1);
  });

  it("refuses another tenant's preview like a missing tenant, and readers altogether", async () => {
    const foreign = await preview(rule('x', [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: tok }], { tenantId: U.tenantGid }), P.tokens.ADMIN);
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const reader = await preview(rule('x', [{ field: 'ALERT_TITLE', operator: 'CONTAINS', value: tok }]), P.tokens.READER);
    expect(reader.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const bad = await preview(rule('x', [{ field: 'ALERT_TITLE', operator: 'GLOB', value: '*' }]));
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['conditions', '0', 'value'] });
  });
});

describe('undoSuppression', () => {
  async function suppressedIncident() {
    const tok = token();
    const r = await createRule(T.tokens.EXPERT, rule(`undo ${tok}`, [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `undo-${tok}` }]));
    const i = await ingestAs(T, incidentWith('ALERT_TITLE', `undo-${tok}`));
    expect(suppressed(i)).toBe(true);
    return { rule: r, incident: i, title: `undo-${tok}` };
  }
  const undo = (by: string, input: Record<string, unknown>) => mutate(app, by, 'undoSuppression', input, `incident { ${INCIDENT} }`);

  it('reopens what a rule closed: ACTIVE, unassigned, unclassified, untagged; the revision stays', async () => {
    const { rule: r, incident: i } = await suppressedIncident();
    const stale = await undo(T.tokens.ADMIN, { incidentId: i.id, version: i.version - 1 });
    expect(stale.data.undoSuppression.errors).toMatchObject([{ code: 'VERSION_CONFLICT' }]);
    const u = await undo(T.tokens.ADMIN, { incidentId: i.id, version: i.version });
    expect(u.data.undoSuppression.errors).toEqual([]);
    const after = u.data.undoSuppression.incident;
    expect(after).toMatchObject({ status: 'ACTIVE', assignment: 'UNASSIGNED', classification: 'UNKNOWN', determination: 'UNKNOWN', resolvingComment: null, suppressedBy: null });
    expect(after.systemTags).not.toContain('Suppressed');
    expect(after.investigation.revisions).toMatchObject([{ reason: 'CONCLUDED' }]);
    expect(after.activity.nodes).toContainEqual(expect.objectContaining({ field: 'SUPPRESSED_BY', from: r.name, to: null }));
    expect(after.activity.nodes).toContainEqual(expect.objectContaining({ field: 'STATUS', from: 'RESOLVED', to: 'ACTIVE' }));
    // once is enough; and the experts can now work it
    expect((await undo(T.tokens.EXPERT, { incidentId: i.id })).data.undoSuppression.errors).toMatchObject([{ code: 'INVALID_TRANSITION' }]);
    expect((await mutate(app, T.tokens.EXPERT, 'startInvestigation', { incidentId: i.id })).data.startInvestigation.errors).toEqual([]);
  });

  it('is INVALID_TRANSITION for anything a rule did not close, or that was worked since', async () => {
    const plain = await ingestAs(T, incidentWith(null));
    expect((await undo(T.tokens.EXPERT, { incidentId: plain.id })).data.undoSuppression.errors).toMatchObject([{ code: 'INVALID_TRANSITION' }]);
    const { incident: i } = await suppressedIncident();
    expect((await mutate(app, T.tokens.EXPERT, 'reopenIncident', { incidentId: i.id })).data.reopenIncident.errors).toEqual([]);
    expect((await undo(T.tokens.EXPERT, { incidentId: i.id })).data.undoSuppression.errors).toMatchObject([{ code: 'INVALID_TRANSITION' }]);
    const c = await mutate(app, T.tokens.EXPERT, 'classifyIncident', { incidentId: i.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'Checked' });
    expect(c.data.classifyIncident.errors).toEqual([]);
    expect((await undo(T.tokens.EXPERT, { incidentId: i.id })).data.undoSuppression.errors).toMatchObject([{ code: 'INVALID_TRANSITION' }]);
  });

  it("is NOT_FOUND for another tenant's incident, and refused to customers other than the ADMIN", async () => {
    const { incident: i } = await suppressedIncident();
    expect((await undo(U.tokens.ADMIN, { incidentId: i.id })).data.undoSuppression.errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    expect((await undo(U.tokens.EXPERT, { incidentId: i.id })).data.undoSuppression.errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    for (const role of ['READER', 'OPERATOR', 'INTEGRATION'] as const) {
      expect((await undo(T.tokens[role], { incidentId: i.id })).errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
    }
    expect((await incidentById(i.id, T.tokens.READER)).status).toBe('RESOLVED');
  });

  it('a deleted rule leaves its incidents resolved, but no longer undoable', async () => {
    const { rule: r, incident: i, title } = await suppressedIncident();
    const d = await mutate(app, T.tokens.EXPERT, 'deleteSuppressionRule', { ruleId: r.id }, 'deletedId');
    expect(d.data.deleteSuppressionRule).toEqual({ deletedId: r.id, errors: [] });
    const after = await incidentById(i.id, T.tokens.EXPERT);
    expect(after).toMatchObject({ status: 'RESOLVED', suppressedBy: null });
    expect((await undo(T.tokens.EXPERT, { incidentId: i.id })).data.undoSuppression.errors).toMatchObject([{ code: 'INVALID_TRANSITION' }]);
    expect(await ruleById(r.id, T.tokens.EXPERT)).toBeNull();
    // and it suppresses nothing more
    expect((await ingestAs(T, incidentWith('ALERT_TITLE', title))).status).toBe('ACTIVE');
  });
});

describe('rule CRUD: validation', () => {
  const ok = { field: 'ALERT_TITLE', operator: 'EQUALS', value: 'x' };
  const cases: { name: string; input: Record<string, unknown>; code: string; field: string[] }[] = [
    { name: 'empty name', input: rule('  ', [ok]), code: 'INVALID_INPUT', field: ['input', 'name'] },
    { name: 'name over 100', input: rule('n'.repeat(101), [ok]), code: 'INVALID_INPUT', field: ['input', 'name'] },
    { name: 'no condition', input: rule('r', []), code: 'INVALID_INPUT', field: ['input', 'conditions'] },
    { name: '21 conditions', input: rule('r', Array.from({ length: 21 }, () => ok)), code: 'INVALID_INPUT', field: ['input', 'conditions'] },
    { name: 'empty value', input: rule('r', [ok, { ...ok, value: ' ' }]), code: 'INVALID_INPUT', field: ['input', 'conditions', '1', 'value'] },
    { name: 'value over 500', input: rule('r', [{ ...ok, value: 'v'.repeat(501) }]), code: 'INVALID_INPUT', field: ['input', 'conditions', '0', 'value'] },
    { name: 'wildcards only', input: rule('r', [{ ...ok, operator: 'GLOB', value: '*?*' }]), code: 'INVALID_INPUT', field: ['input', 'conditions', '0', 'value'] },
    { name: 'expiry in the past', input: rule('r', [ok], { expiresAt: '2020-01-01T00:00:00Z' }), code: 'INVALID_INPUT', field: ['input', 'expiresAt'] },
    { name: 'a malformed tenant id', input: rule('r', [ok], { tenantId: 'nope' }), code: 'INVALID_INPUT', field: ['input', 'tenantId'] },
  ];
  it.each(cases)('$name → $code at $field', async ({ input, code, field }) => {
    const r = await mutate(app, T.tokens.EXPERT, 'createSuppressionRule', input, RULE_FIELDS);
    expect(r.data.createSuppressionRule).toMatchObject({ rule: null, errors: [{ code, field }] });
  });

  it('keeps names unique per tenant (case-insensitive), on create and rename', async () => {
    const tok = token();
    await createRule(T.tokens.EXPERT, rule(`Unique ${tok}`, [ok]));
    const again = await mutate(app, T.tokens.ADMIN, 'createSuppressionRule', rule(`UNIQUE ${tok}`, [ok]), RULE_FIELDS);
    expect(again.data.createSuppressionRule.errors).toMatchObject([{ code: 'ALREADY_EXISTS', field: ['input', 'name'] }]);
    // another tenant may use it
    await createRule(U.tokens.ADMIN, rule(`Unique ${tok}`, [ok]));
    const second = await createRule(T.tokens.EXPERT, rule(`Second ${tok}`, [ok]));
    const rename = await mutate(app, T.tokens.EXPERT, 'updateSuppressionRule', { ruleId: second.id, name: `unique ${tok}` }, RULE_FIELDS);
    expect(rename.data.updateSuppressionRule.errors).toMatchObject([{ code: 'ALREADY_EXISTS' }]);
  });

  it('an expert serving several tenants names one', async () => {
    const r = await mutate(app, both.token, 'createSuppressionRule', rule('which tenant', [ok]), RULE_FIELDS);
    expect(r.data.createSuppressionRule.errors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'tenantId'] }]);
  });
});

describe('who may do what', () => {
  it('ADMIN: its own tenant only; EXPERT: the tenants it serves; READER and OPERATOR: read only', async () => {
    const tok = token();
    const cond = [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: `who-${tok}` }];
    const own = await createRule(T.tokens.ADMIN, rule(`admin ${tok}`, cond));
    expect(own.createdBy.id).toBe(encodeGlobalID('Principal', T.principals.ADMIN.id));
    const foreign = await mutate(app, U.tokens.ADMIN, 'createSuppressionRule', rule(`x ${tok}`, cond, { tenantId: T.tenantGid }), RULE_FIELDS);
    expect(foreign.data.createSuppressionRule.errors).toMatchObject([{ code: 'NOT_FOUND', field: ['input', 'tenantId'] }]);
    const notServed = await mutate(app, U.tokens.EXPERT, 'createSuppressionRule', rule(`x ${tok}`, cond, { tenantId: T.tenantGid }), RULE_FIELDS);
    expect(notServed.data.createSuppressionRule.errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    for (const role of ['READER', 'OPERATOR', 'INTEGRATION'] as const) {
      const r = await mutate(app, T.tokens[role], 'createSuppressionRule', rule(`x ${tok}`, cond), RULE_FIELDS);
      expect(r.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
    }
    // another tenant's rule: NOT_FOUND for every writer, exactly like a missing one
    for (const by of [U.tokens.ADMIN, U.tokens.EXPERT]) {
      const u = await mutate(app, by, 'updateSuppressionRule', { ruleId: own.id, name: 'taken over' }, RULE_FIELDS);
      expect(u.data.updateSuppressionRule.errors).toMatchObject([{ code: 'NOT_FOUND', field: ['input', 'ruleId'] }]);
      const d = await mutate(app, by, 'deleteSuppressionRule', { ruleId: own.id }, 'deletedId');
      expect(d.data.deleteSuppressionRule.errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    }
    // T's expert may change the ADMIN's rule
    const byExpert = await mutate(app, T.tokens.EXPERT, 'updateSuppressionRule', { ruleId: own.id, includeHighSeverity: true }, RULE_FIELDS);
    expect(byExpert.data.updateSuppressionRule.rule).toMatchObject({ includeHighSeverity: true });

    // reads: the tenant's customers and experts; not INTEGRATION; another tenant sees nothing
    const list = (by: string, tenantId?: string) =>
      app.gql<any, any>(`query($t: ID) { suppressionRules(tenantId: $t) { id name } }`, { t: tenantId ?? null }, by);
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'EXPERT'] as const) {
      const r = await list(T.tokens[role], T.tenantGid);
      expect(r.data.suppressionRules.map((x: { id: string }) => x.id), role).toContain(own.id);
    }
    expect((await list(T.tokens.INTEGRATION)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await list(U.tokens.READER, T.tenantGid)).data.suppressionRules).toEqual([]);
    expect((await list(U.tokens.EXPERT, T.tenantGid)).data.suppressionRules).toEqual([]);
    // the expert serving both, naming none: both tenants' rules
    const all = (await list(both.token)).data.suppressionRules.map((x: { id: string }) => x.id);
    expect(all).toContain(own.id);
    expect(await ruleById(own.id, U.tokens.READER)).toBeNull();
    expect(await ruleById(own.id, T.tokens.INTEGRATION)).toBeNull();
    expect((await ruleById(own.id, T.tokens.OPERATOR)).name).toBe(`admin ${tok}`);
  });
});
