// Notifications end to end (SPEC.md section 6): contacts and the Teams channel managed by the
// tenant ADMIN, the four incident triggers, delivery with retries and DEAD, the outbox (nothing for
// a change that rolled back), reminders, test sends, .eml files without SMTP, and two processes
// delivering each notification once. Real peers only: an SMTP server (smtp-server) receives the
// mail and a local HTTP server plays the Teams workflow webhook.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config';
import { FleetConnector, type ResponseConnector } from '../src/connectors/edr';
import { startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { startHttpReceiver, startSmtpPeer, type HttpReceiver, type SmtpPeer } from './helpers/peers';
import { incident, ingest, mutate, summary, truePositive, waitFor } from './helpers/response';

const PUBLIC_URL = 'https://mdr.example.com';
const base = loadConfig({ ...process.env, MDR_DEMO: '0' });

let smtp: SmtpPeer;
let teams: HttpReceiver;
let app: TestApp;
/** The tenants this file's deliverers may deliver for (test files share one database). */
const owned = new Set<string>();

function notificationConfig(over: Partial<Config['notifications']> = {}): Partial<Config> {
  return {
    publicUrl: PUBLIC_URL,
    execution: { ...base.execution, pollMs: 50 },
    notifications: {
      ...base.notifications,
      smtpUrl: smtp.url,
      allowPrivateTargets: true,
      retryBaseMs: 100,
      retryMaxMs: 300,
      maxAttempts: 3,
      sendTimeoutMs: 2_000,
      reminderIntervalMs: 3_600_000,
      ...over,
    },
  };
}

// An EDR that fails every action on devices named FAIL-…, the built-in fleet otherwise.
const fleet = new FleetConnector();
const failing: ResponseConnector = {
  name: 'fleet',
  remote: false,
  execute: (tx, req) => (req.target.device?.name.startsWith('FAIL-') ? Promise.resolve({ kind: 'failed', reason: 'EDR_FAILED: device refused the command' }) : fleet.execute(tx, req)),
};

beforeAll(async () => {
  smtp = await startSmtpPeer();
  teams = await startHttpReceiver();
  app = await startApp(notificationConfig(), { notifier: { scope: () => [...owned] }, executor: { connectorFor: () => failing } });
});
afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await teams?.close();
});
beforeEach(() => {
  smtp.behave(null);
  smtp.behaveOnData(null);
  teams.respond(null);
});

async function tenantWithContacts(a: TestApp = app, opts: { teams?: boolean; name?: string; access?: 'READER' | 'OPERATOR' } = {}) {
  const t = await newTenant(a, { serviceAccessLevel: opts.access ?? 'OPERATOR', name: opts.name });
  owned.add(t.tenant.id);
  const contacts: Record<string, string> = {};
  for (const [key, purposes, active] of [
    ['lead', ['INCIDENT_NOTIFICATION'], true],
    ['oncall', ['INCIDENT_NOTIFICATION', 'SERVICE_REVIEW'], true],
    ['ciso', ['SERVICE_REVIEW'], true],
    ['former', ['INCIDENT_NOTIFICATION'], false],
  ] as const) {
    const email = `${key}-${t.tenant.slug}@customer.example`;
    const r = await mutate(a, t.tokens.ADMIN, 'createNotificationContact', { name: `The ${key}`, email, purposes }, 'contact { id }');
    expect(r.data.createNotificationContact.errors).toEqual([]);
    contacts[key] = email;
    if (!active) {
      const u = await mutate(a, t.tokens.ADMIN, 'updateNotificationContact', { contactId: r.data.createNotificationContact.contact.id, active: false }, 'contact { active }');
      expect(u.data.updateNotificationContact.contact.active).toBe(false);
    }
  }
  if (opts.teams) {
    const r = await mutate(a, t.tokens.ADMIN, 'setTeamsWebhook', { url: `${teams.url}?tenant=${t.tenant.slug}` }, 'tenant { teamsWebhookConfigured }');
    expect(r.data.setTeamsWebhook).toEqual({ tenant: { teamsWebhookConfigured: true }, errors: [] });
  }
  return { t, contacts };
}

const mailsTo = (address: string) => smtp.messages.filter((m) => m.envelopeTo.includes(address));
const cardsFor = (t: TenantFixture) => teams.requests.filter((r) => r.path.includes(`tenant=${t.tenant.slug}`));
const cardText = (json: unknown) => JSON.stringify(json);

const NOTIFICATIONS = `query($id: ID, $f: NotificationFilter, $first: Int, $after: String) { tenant(id: $id) { notifications(filter: $f, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id kind channel recipient status attempts lastError messageId sentAt nextAttemptAt incident { id number } } } } }`;

async function notificationsOf(t: TenantFixture, filter: Record<string, unknown> | null = null, token = t.tokens.ADMIN) {
  const r = await app.gql<any, any>(NOTIFICATIONS, { id: t.tenantGid, f: filter, first: 100 }, token);
  expect(r.errors).toBeUndefined();
  return r.data.tenant.notifications.nodes as {
    id: string;
    kind: string;
    channel: string;
    recipient: string;
    status: string;
    attempts: number;
    lastError: string | null;
    messageId: string;
    sentAt: string | null;
    nextAttemptAt: string | null;
    incident: { id: string; number: number } | null;
  }[];
}

const settled = (t: TenantFixture, n: number) =>
  waitFor(
    () => notificationsOf(t),
    (rows) => rows.length >= n && rows.every((r) => r.status === 'SENT' || r.status === 'DEAD'),
    15_000,
  );

describe('contacts and the Teams channel', () => {
  it('an ADMIN creates, updates, deactivates and deletes contacts; experts read them', async () => {
    const t = await newTenant(app);
    const c = await mutate(app, t.tokens.ADMIN, 'createNotificationContact', { name: ' Ada Lovelace ', email: 'ada@customer.example', phone: '+44 20 7946 0000', purposes: ['INCIDENT_NOTIFICATION'] }, 'contact { id name email phone purposes active }');
    expect(c.data.createNotificationContact.errors).toEqual([]);
    const contact = c.data.createNotificationContact.contact;
    expect(contact).toMatchObject({ name: 'Ada Lovelace', email: 'ada@customer.example', phone: '+44 20 7946 0000', purposes: ['INCIDENT_NOTIFICATION'], active: true });

    const u = await mutate(app, t.tokens.ADMIN, 'updateNotificationContact', { contactId: contact.id, purposes: ['INCIDENT_NOTIFICATION', 'SERVICE_REVIEW'], phone: null, active: false }, 'contact { phone purposes active }');
    expect(u.data.updateNotificationContact).toEqual({ contact: { phone: null, purposes: ['INCIDENT_NOTIFICATION', 'SERVICE_REVIEW'], active: false }, errors: [] });

    const read = `query($id: ID) { tenant(id: $id) { notificationContacts { id email active } teamsWebhookConfigured } }`;
    const byExpert = await app.gql<any, any>(read, { id: t.tenantGid }, t.tokens.EXPERT);
    expect(byExpert.data.tenant).toEqual({ notificationContacts: [{ id: contact.id, email: 'ada@customer.example', active: false }], teamsWebhookConfigured: false });
    const byNode = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on NotificationContact { email } } }`, { id: contact.id }, t.tokens.EXPERT);
    expect(byNode.data.node).toEqual({ email: 'ada@customer.example' });
    // a role outside the field policy: null by id, FORBIDDEN on the field
    const byReader = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: contact.id }, t.tokens.OPERATOR);
    expect(byReader.data.node).toBeNull();
    const listByReader = await app.gql<any, any>(read, { id: t.tenantGid }, t.tokens.READER);
    expect(listByReader.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const d = await mutate(app, t.tokens.ADMIN, 'deleteNotificationContact', { contactId: contact.id }, 'deletedId');
    expect(d.data.deleteNotificationContact).toEqual({ deletedId: contact.id, errors: [] });
    const again = await mutate(app, t.tokens.ADMIN, 'deleteNotificationContact', { contactId: contact.id }, 'deletedId');
    expect(again.data.deleteNotificationContact.errors[0].code).toBe('NOT_FOUND');
  });

  it('bad input gets typed errors and writes nothing', async () => {
    const t = await newTenant(app);
    const create = (input: Record<string, unknown>) =>
      mutate(app, t.tokens.ADMIN, 'createNotificationContact', { name: 'X', email: 'x@customer.example', purposes: ['INCIDENT_NOTIFICATION'], ...input }, 'contact { id }').then(
        (r) => r.data.createNotificationContact.errors[0] as { code: string; field: string[]; message: string } | undefined,
      );
    expect(await create({ email: 'not-an-address' })).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'email'] });
    expect(await create({ email: 'a b@customer.example' })).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'email'] });
    expect(await create({ email: `${'a'.repeat(250)}@x.example` })).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'email'] });
    expect(await create({ name: '   ' })).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'name'] });
    expect(await create({ phone: 'call me maybe' })).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'phone'] });
    expect(await create({ purposes: [] })).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'purposes'] });
    const bad = await app.gql<any, any>(
      `mutation { createNotificationContact(input: { name: "X", email: "x@customer.example", purposes: [PAGER] }) { errors { code } } }`,
      {},
      t.tokens.ADMIN,
    );
    expect(bad.errors?.[0].message).toMatch(/PAGER/);
    expect(await create({})).toBeUndefined();
    expect(await create({ email: 'X@Customer.Example' })).toMatchObject({ code: 'ALREADY_EXISTS', field: ['input', 'email'] });
    const [{ n }] = (await app.database.query(`select count(*)::int as n from notification_contacts where tenant_id = '${t.tenant.id}'`)) as { n: number }[];
    expect(n).toBe(1);

    for (const url of ['not a url', 'ftp://teams.example.com/hook', `https://${'a'.repeat(2050)}.example.com`]) {
      const r = await mutate(app, t.tokens.ADMIN, 'setTeamsWebhook', { url }, 'tenant { teamsWebhookConfigured }');
      expect(r.data.setTeamsWebhook.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'url'] });
    }
  });

  it('the Teams webhook URL is stored but never returned; null clears it', async () => {
    const t = await newTenant(app);
    const secretUrl = 'https://prod-42.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET-SIGNATURE';
    const r = await mutate(app, t.tokens.ADMIN, 'setTeamsWebhook', { url: secretUrl }, 'tenant { teamsWebhookConfigured }');
    expect(r.data.setTeamsWebhook).toEqual({ tenant: { teamsWebhookConfigured: true }, errors: [] });
    // no field of the schema carries it
    const everything = await app.gql<any, any>(`query($id: ID) { tenant(id: $id) { id name slug teamsWebhookConfigured notificationContacts { id } } }`, { id: t.tenantGid }, t.tokens.ADMIN);
    expect(JSON.stringify(everything)).not.toContain('SECRET-SIGNATURE');
    const introspection = await app.gql<any, any>(`{ __type(name: "Tenant") { fields { name } } }`, {}, t.tokens.ADMIN);
    expect(introspection.data.__type.fields.map((f: { name: string }) => f.name).filter((n: string) => /teams/i.test(n))).toEqual(['teamsWebhookConfigured']);
    const cleared = await mutate(app, t.tokens.ADMIN, 'setTeamsWebhook', { url: null }, 'tenant { teamsWebhookConfigured }');
    expect(cleared.data.setTeamsWebhook.tenant.teamsWebhookConfigured).toBe(false);
  });

  it('refuses private and loopback targets unless the operator allows them', async () => {
    const strict = await startApp({ ...notificationConfig({ allowPrivateTargets: false }) }, { database: app.database });
    try {
      const t = await newTenant(strict);
      for (const url of ['http://teams.example.com/hook', 'https://localhost/hook', 'https://127.0.0.1/hook', 'https://10.1.2.3/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest']) {
        const r = await mutate(strict, t.tokens.ADMIN, 'setTeamsWebhook', { url }, 'tenant { teamsWebhookConfigured }');
        expect(r.data.setTeamsWebhook.errors[0], url).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'url'] });
      }
      const ok = await mutate(strict, t.tokens.ADMIN, 'setTeamsWebhook', { url: 'https://prod-1.westeurope.logic.azure.com/workflows/x' }, 'tenant { teamsWebhookConfigured }');
      expect(ok.data.setTeamsWebhook.errors).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});

describe('incident notifications', () => {
  it('a published managed response reaches every active incident contact by email and the Teams channel', async () => {
    const { t, contacts } = await tenantWithContacts(app, { teams: true });
    const inc = await truePositive(app, t, { title: 'Ransomware staging on FIN-07', severity: 'HIGH' });
    const p = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [
        { kind: 'MANUAL', title: 'Reset the password of jdoe', instructions: 'Reset it in Entra ID' },
        { kind: 'MANUAL', title: 'Block the sender domain', instructions: 'In the mail gateway' },
      ],
    });
    expect(p.data.publishManagedResponse.errors).toEqual([]);
    const number = p.data.publishManagedResponse.incident.number;

    await smtp.waitFor(() => mailsTo(contacts.lead).length === 1 && mailsTo(contacts.oncall).length === 1);
    await teams.waitFor(() => cardsFor(t).length === 1);
    const rows = await settled(t, 3);
    expect(rows.map((r) => [r.kind, r.channel, r.recipient, r.status, r.attempts]).sort()).toEqual(
      [
        ['MANAGED_RESPONSE_PUBLISHED', 'EMAIL', contacts.lead, 'SENT', 1],
        ['MANAGED_RESPONSE_PUBLISHED', 'EMAIL', contacts.oncall, 'SENT', 1],
        ['MANAGED_RESPONSE_PUBLISHED', 'TEAMS', 'Teams channel', 'SENT', 1],
      ].sort(),
    );
    expect(rows.every((r) => r.incident?.id === inc.id && r.sentAt && r.nextAttemptAt === null)).toBe(true);
    // not the inactive contact, not the service-review-only one
    expect(mailsTo(contacts.former)).toEqual([]);
    expect(mailsTo(contacts.ciso)).toEqual([]);

    const mail = mailsTo(contacts.lead)[0];
    expect(mail.subject).toContain(`Incident #${number}`);
    expect(mail.subject).toContain('High severity');
    expect(mail.subject).toContain('Action required: 2 response actions await you');
    expect(mail.text).toContain('Reset the password of jdoe');
    expect(mail.text).toContain('Block the sender domain');
    expect(mail.text).toContain(summary.narrative);
    const link = `${PUBLIC_URL}/incidents/${encodeURIComponent(inc.id)}`;
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toContain('Reset the password of jdoe');
    expect(mail.messageId).toBe(rows.find((r) => r.recipient === contacts.lead)!.messageId);
    // one Message-ID per notification
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(3);

    const card = cardsFor(t)[0].json as any;
    expect(card.type).toBe('message');
    expect(card.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0].content.type).toBe('AdaptiveCard');
    expect(card.attachments[0].content.actions[0]).toEqual({ type: 'Action.OpenUrl', title: 'Open the incident', url: link });
    expect(cardText(card)).toContain('Reset the password of jdoe');
    expect(cardText(card)).toContain(`Incident #${number}`);
  });

  it('the link in a notification opens the incident in the playground', async () => {
    const { t } = await tenantWithContacts(app);
    const inc = await ingest(app, t);
    const res = await fetch(`${app.url.replace('/graphql', '')}/incidents/${encodeURIComponent(inc.id)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!, app.url);
    expect(location.pathname).toBe('/graphql');
    const query = location.searchParams.get('query')!;
    const r = await app.gql<any, any>(query, {}, t.tokens.READER);
    expect(r.errors).toBeUndefined();
    expect(r.data.node.number).toBeGreaterThan(0);
  });

  it('HTML in an ingested title arrives as text in the mail and on the card', async () => {
    const { t, contacts } = await tenantWithContacts(app, { teams: true });
    const title = '<img src=x onerror=alert(1)> Evil <b>bold</b> & "quoted"';
    const inc = await truePositive(app, t, { title });
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary: { ...summary, narrative: '<script>alert("narrative")</script> [click](https://evil.example)' },
      actions: [{ kind: 'MANUAL', title: '<a href="https://evil.example">Do this</a>', instructions: 'x' }],
    });
    const [mail] = await smtp.waitFor(() => mailsTo(contacts.lead).length === 1).then(() => mailsTo(contacts.lead));
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<a href="https://evil.example">');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; Evil &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.text).toContain(title);
    expect(mail.subject).toContain('<img src=x onerror=alert(1)> Evil');
    await teams.waitFor(() => cardsFor(t).length === 1);
    const card = cardsFor(t)[0].json as any;
    // user text only ever in TextRuns (plain text), never in markdown TextBlocks
    const runs: string[] = [];
    const walk = (x: any): void => {
      if (Array.isArray(x)) return x.forEach(walk);
      if (x && typeof x === 'object') {
        if (x.type === 'TextBlock') throw new Error(`markdown TextBlock on the card: ${x.text}`);
        if (x.type === 'TextRun') runs.push(x.text);
        Object.values(x).forEach(walk);
      }
    };
    walk(card.attachments[0].content.body);
    expect(runs.some((r) => r.includes(title))).toBe(true);
    expect(runs.some((r) => r.includes('[click](https://evil.example)'))).toBe(true);
  });

  it('a resolution by the experts tells the contacts, with the classification and the summary; the customer\'s own does not', async () => {
    const { t, contacts } = await tenantWithContacts(app);
    const inc = await ingest(app, t, { severity: 'LOW', title: 'Admin tool flagged' });
    await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
    const c = await mutate(app, t.tokens.EXPERT, 'classifyIncident', {
      incidentId: inc.id,
      classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
      determination: 'SECURITY_TESTING',
      summary: 'The red team ran this from the jump host, as scheduled.',
    });
    expect(c.data.classifyIncident.errors).toEqual([]);
    expect(c.data.classifyIncident.incident.status).toBe('RESOLVED');
    await smtp.waitFor(() => mailsTo(contacts.lead).length === 1);
    const mail = mailsTo(contacts.lead)[0];
    expect(mail.subject).toMatch(/Resolved by Defender Experts: Informational expected activity \(Security testing\)/);
    expect(mail.subject).toContain('Low severity');
    expect(mail.text).toContain('The red team ran this from the jump host, as scheduled.');

    // the customer finishing the last action resolves it too, but nobody needs telling
    const tp = await truePositive(app, t);
    const p = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: tp.id, summary, actions: [{ kind: 'MANUAL', title: 'Call the user', instructions: 'x' }] });
    const card = p.data.publishManagedResponse.incident.managedResponse.actions[0].id;
    const done = await mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: card }, 'action { status }');
    expect(done.data.completeManualAction.action.status).toBe('COMPLETED');
    expect((await incident(app, t.tokens.READER, tp.id)).status).toBe('RESOLVED');
    const rows = await settled(t, 4);
    expect(rows.filter((r) => r.incident?.id === tp.id).map((r) => r.kind)).toEqual(['MANAGED_RESPONSE_PUBLISHED', 'MANAGED_RESPONSE_PUBLISHED']);
  });

  it('the experts\' one-click actions completing resolve with a notice; the customer\'s completing does not', async () => {
    // OPERATOR access: the experts isolate, the executor finishes, the incident resolves
    const { t, contacts } = await tenantWithContacts(app);
    const inc = await truePositive(app, t);
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }] });
    await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED');
    await smtp.waitFor(() => mailsTo(contacts.lead).some((m) => /Resolved by Defender Experts: True positive \(Malware\)/.test(m.subject ?? '')));
    const published = mailsTo(contacts.lead).find((m) => /Managed response published/.test(m.subject ?? ''))!;
    expect(published.text).toContain('being performed by the experts');

    // READER access: the isolation is left to the customer, who performs it; the executor finishes it
    const r = await tenantWithContacts(app, { access: 'READER' });
    const inc2 = await truePositive(app, r.t);
    const p = await mutate(app, r.t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc2.id, summary, actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc2.devices[0].id }] });
    expect(p.data.publishManagedResponse.incident.status).toBe('AWAITING_CUSTOMER_ACTION');
    const perform = await mutate(app, r.t.tokens.OPERATOR, 'performAction', { actionId: p.data.publishManagedResponse.incident.managedResponse.actions[0].id }, 'action { status }');
    expect(perform.data.performAction.errors).toEqual([]);
    await waitFor(() => incident(app, r.t.tokens.READER, inc2.id), (i) => i.status === 'RESOLVED');
    const rows = await settled(r.t, 2);
    expect(rows.map((x) => x.kind)).toEqual(['MANAGED_RESPONSE_PUBLISHED', 'MANAGED_RESPONSE_PUBLISHED']);
  });

  it('a failed action left to the customer tells the contacts', async () => {
    const { t, contacts } = await tenantWithContacts(app);
    const inc = await truePositive(app, t, { alerts: [{ externalId: `a-${Date.now()}`, title: 'Beacon', severity: 'HIGH', evidence: [{ device: { deviceName: 'FAIL-01', deviceGroup: 'Servers' } }] }] });
    const p = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id, title: 'Isolate FAIL-01' }] });
    expect(p.data.publishManagedResponse.errors).toEqual([]);
    await smtp.waitFor(() => mailsTo(contacts.lead).some((m) => /Action failed/.test(m.subject ?? '')), 15_000);
    const mail = mailsTo(contacts.lead).find((m) => /Action failed/.test(m.subject ?? ''))!;
    expect(mail.subject).toContain('Isolate FAIL-01');
    expect(mail.text).toContain('EDR_FAILED: device refused the command');
  });

  it('a change that rolls back queues nothing', async () => {
    const { t } = await tenantWithContacts(app);
    const other = await newTenant(app);
    const foreign = await ingest(app, other);
    const inc = await truePositive(app, t);
    const before = await notificationsOf(t);
    // the publish fails half-way (a foreign device in the second action): nothing is written
    const p = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [
        { kind: 'MANUAL', title: 'Fine', instructions: 'x' },
        { kind: 'ISOLATE_DEVICE', targetId: foreign.devices[0].id },
      ],
    });
    expect(p.data.publishManagedResponse.errors[0].code).toBe('NOT_FOUND');
    const after = await notificationsOf(t);
    expect(after).toEqual(before);
    const [{ n }] = (await app.database.query(`select count(*)::int as n from notifications where tenant_id = '${t.tenant.id}'`)) as { n: number }[];
    expect(n).toBe(before.length);
  });
});

describe('delivery: retries, DEAD and the channel answers', () => {
  it('Teams answering 429 and 500 is retried until it accepts; one that keeps failing is DEAD with the last error', async () => {
    const { t } = await tenantWithContacts(app, { teams: true });
    await app.database.query(`update notification_contacts set active = false where tenant_id = '${t.tenant.id}'`);
    teams.script([{ status: 429, headers: { 'retry-after': '0' }, body: 'slow down' }, { status: 500, body: 'oops' }, { status: 202 }]);
    const r = await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'TEAMS' }, 'notification { id status channel }');
    expect(r.data.sendTestNotification.errors).toEqual([]);
    let [row] = await settled(t, 1);
    expect(row).toMatchObject({ kind: 'TEST', channel: 'TEAMS', status: 'SENT', attempts: 3, lastError: null });
    expect(cardsFor(t)).toHaveLength(3);

    teams.respond(() => ({ status: 503, body: 'down for maintenance' }));
    await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'TEAMS' }, 'notification { id }');
    const rows = await settled(t, 2);
    row = rows.find((x) => x.status === 'DEAD')!;
    expect(row).toMatchObject({ status: 'DEAD', attempts: 3, nextAttemptAt: null });
    expect(row.lastError).toContain('HTTP 503');
    expect(row.lastError).toContain('down for maintenance');

    // a 4xx other than 408/429 is final at once
    teams.respond(() => ({ status: 404, body: 'no such flow' }));
    await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'TEAMS' }, 'notification { id }');
    const last = (await settled(t, 3)).find((x) => x.lastError?.includes('404'))!;
    expect(last).toMatchObject({ status: 'DEAD', attempts: 1 });
  });

  it('an SMTP 4xx is retried; a 5xx is final for that recipient only', async () => {
    const { t, contacts } = await tenantWithContacts(app);
    smtp.behave((ctx) => {
      if (ctx.rcpt === contacts.lead && ctx.attempt === 1) return { code: 451, message: '4.7.1 Greylisted, try again' };
      if (ctx.rcpt === contacts.oncall) return { code: 550, message: '5.1.1 Mailbox unavailable' };
      return 'accept';
    });
    await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'EMAIL' }, 'notification { id }');
    const rows = await settled(t, 3);
    const by = (email: string) => rows.find((r) => r.recipient === email)!;
    expect(by(contacts.lead)).toMatchObject({ status: 'SENT', attempts: 2, lastError: null });
    expect(by(contacts.oncall)).toMatchObject({ status: 'DEAD', attempts: 1 });
    expect(by(contacts.oncall).lastError).toMatch(/SMTP 550.*Mailbox unavailable/);
    // the service-review contact gets the test too (every active contact)
    expect(by(contacts.ciso)).toMatchObject({ status: 'SENT', attempts: 1 });
    // the greylisted one was resent with the same Message-ID
    expect(mailsTo(contacts.lead).map((m) => m.messageId)).toEqual([by(contacts.lead).messageId]);
  });

  it('sendTestNotification needs a recipient on the channel', async () => {
    const t = await newTenant(app);
    owned.add(t.tenant.id);
    const email = await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'EMAIL' }, 'notification { id }');
    expect(email.data.sendTestNotification.errors[0]).toMatchObject({ code: 'NOT_CONFIGURED', field: ['input', 'channel'] });
    const tm = await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'TEAMS' }, 'notification { id }');
    expect(tm.data.sendTestNotification.errors[0]).toMatchObject({ code: 'NOT_CONFIGURED' });
  });
});

describe('the notification list', () => {
  it('filters by status, kind and channel, and pages', async () => {
    const { t, contacts } = await tenantWithContacts(app, { teams: true });
    smtp.behave((ctx) => (ctx.rcpt === contacts.oncall ? { code: 550, message: 'no such user' } : 'accept'));
    for (let i = 0; i < 3; i++) await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'EMAIL' }, 'notification { id }');
    await mutate(app, t.tokens.ADMIN, 'sendTestNotification', { channel: 'TEAMS' }, 'notification { id }');
    await settled(t, 10);
    expect((await notificationsOf(t, { status: ['DEAD'] })).map((r) => r.recipient)).toEqual([contacts.oncall, contacts.oncall, contacts.oncall]);
    expect(await notificationsOf(t, { channel: ['TEAMS'] })).toHaveLength(1);
    expect(await notificationsOf(t, { kind: ['MANAGED_RESPONSE_PUBLISHED'] })).toHaveLength(0);
    expect(await notificationsOf(t, { kind: ['TEST'], status: ['SENT'] })).toHaveLength(7);
    // pages of 4, newest first, no repeats
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await app.gql<any, any>(NOTIFICATIONS, { id: t.tenantGid, first: 4, after }, t.tokens.EXPERT);
      expect(r.data.tenant.notifications.totalCount).toBe(10);
      seen.push(...r.data.tenant.notifications.nodes.map((n: { id: string }) => n.id));
      if (!r.data.tenant.notifications.pageInfo.hasNextPage) break;
      after = r.data.tenant.notifications.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
    // another tenant's admin sees none of them
    const other = await newTenant(app);
    const foreign = await app.gql<any, any>(NOTIFICATIONS, { id: t.tenantGid, first: 4 }, other.tokens.ADMIN);
    expect(foreign.data.tenant).toBeNull();
    const byId = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: seen[0] }, other.tokens.ADMIN);
    expect(byId.data.node).toBeNull();
  });
});

describe('reminders', () => {
  it('remind once per interval while the incident awaits the customer, across restarts and two instances, and stop when it resolves', async () => {
    const INTERVAL = 500;
    const reminded = new Set<string>();
    const fastApp = (db = app.database) => startApp(notificationConfig({ reminderIntervalMs: INTERVAL }), { database: db, notifier: { scope: () => [...reminded] } });
    const first = await fastApp();
    const { t, contacts } = await tenantWithContacts(first);
    owned.delete(t.tenant.id); // these apps' deliverers only
    reminded.add(t.tenant.id);
    const inc = await truePositive(first, t, { severity: 'HIGH', title: 'Phish with a payload' });
    const p = await mutate(first, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'MANUAL', title: 'Purge the mail', instructions: 'x' }] });
    expect(p.data.publishManagedResponse.incident.status).toBe('AWAITING_CUSTOMER_ACTION');
    const reminders = () => mailsTo(contacts.lead).filter((m) => m.subject?.startsWith('Reminder:'));
    await smtp.waitFor(() => reminders().length >= 1, 15_000);
    expect(reminders()[0].subject).toContain('1 response action still awaits you');
    expect(reminders()[0].text).toContain('Purge the mail');
    // the schedule lives in the database: a restart does not lose it, and two instances do not double it
    await first.close();
    const second = await fastApp();
    const third = await fastApp();
    try {
      await smtp.waitFor(() => reminders().length >= 3, 15_000);
      const sent = reminders();
      // One reminder per interval: the rounds were queued at least an interval apart (the
      // database's clock, when each round's row was written; the arrival times at the SMTP peer
      // also carry each delivery's latency, which a loaded machine stretches or squeezes).
      const queuedAt = (
        await app.database.query<{ ms: number }>(
          `select (extract(epoch from created_at) * 1000)::float8 as ms from notifications where tenant_id = $1::uuid and kind = 'AWAITING_ACTION_REMINDER' and recipient = $2 order by created_at`,
          [t.tenant.id, contacts.lead],
        )
      ).map((r) => Number(r.ms));
      expect(queuedAt.length).toBeGreaterThanOrEqual(sent.length);
      for (let i = 1; i < queuedAt.length; i++) expect(queuedAt[i] - queuedAt[i - 1], 'one reminder per interval').toBeGreaterThanOrEqual(INTERVAL - 5);
      expect(new Set(sent.map((m) => m.messageId)).size).toBe(sent.length);

      const card = p.data.publishManagedResponse.incident.managedResponse.actions[0].id;
      const done = await mutate(second, t.tokens.OPERATOR, 'completeManualAction', { actionId: card }, 'action { status }');
      expect(done.data.completeManualAction.action.status).toBe('COMPLETED');
      expect((await incident(second, t.tokens.READER, inc.id)).status).toBe('RESOLVED');
      // What may still arrive: the reminders already sent, or being sent (their check that the
      // incident awaits the customer came before it resolved), when it resolved; nothing else.
      const before = new Set<string | undefined>((await notificationsOf(t, { kind: ['AWAITING_ACTION_REMINDER'], status: ['SENT', 'SENDING'] })).map((n) => n.messageId));
      // two and a half intervals: a schedule still running would have sent another by then
      await new Promise((r) => setTimeout(r, 2.5 * INTERVAL));
      expect(reminders().filter((m) => !before.has(m.messageId)).map((m) => m.subject), 'no reminder after the incident resolved').toEqual([]);
      const [{ n }] = (await app.database.query(`select count(*)::int as n from incident_reminders where tenant_id = '${t.tenant.id}'`)) as { n: number }[];
      expect(n).toBe(0);
      // a reminder queued just before the resolution is not sent: DEAD, saying why
      const unsent = await waitFor(() => notificationsOf(t, { kind: ['AWAITING_ACTION_REMINDER'], status: ['QUEUED', 'SENDING', 'FAILED'] }), (rows) => rows.length === 0);
      expect(unsent).toEqual([]);
      for (const r of await notificationsOf(t, { kind: ['AWAITING_ACTION_REMINDER'], status: ['DEAD'] })) expect(r.lastError).toMatch(/^CANCELLED/);
    } finally {
      await second.close();
      await third.close();
    }
  });
});

describe('more than one process', () => {
  it('two processes on one database deliver each notification once', async () => {
    const shared = new Set<string>();
    const one = await startApp(notificationConfig(), { database: app.database, notifier: { scope: () => [...shared] } });
    const two = await startApp(notificationConfig(), { database: app.database, notifier: { scope: () => [...shared] } });
    try {
      const { t, contacts } = await tenantWithContacts(one);
      owned.delete(t.tenant.id);
      shared.add(t.tenant.id);
      for (let i = 0; i < 8; i++) await mutate(i % 2 ? one : two, t.tokens.ADMIN, 'sendTestNotification', { channel: 'EMAIL' }, 'notification { id }');
      await smtp.waitFor(() => mailsTo(contacts.lead).length >= 8 && mailsTo(contacts.oncall).length >= 8 && mailsTo(contacts.ciso).length >= 8, 15_000);
      // every row sent and neither deliverer running a send: nothing more (no duplicate) can go out
      await waitFor(
        async () => ({ open: (await notificationsOf(t)).filter((n) => n.status !== 'SENT').length, running: one.server.notifier.active.total + two.server.notifier.active.total }),
        (x) => x.open === 0 && x.running === 0,
      );
      const ids = [contacts.lead, contacts.oncall, contacts.ciso].flatMap((c) => mailsTo(c).map((m) => m.messageId));
      expect(ids).toHaveLength(24);
      expect(new Set(ids).size).toBe(24);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('without SMTP', () => {
  it('writes each mail as an .eml file under DATA_DIR/mail', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-mail-'));
    const files = new Set<string>();
    const local = await startApp(notificationConfig({ smtpUrl: undefined, mailDir: dir }), { database: app.database, notifier: { scope: () => [...files] } });
    try {
      const { t, contacts } = await tenantWithContacts(local);
      owned.delete(t.tenant.id);
      files.add(t.tenant.id);
      const r = await mutate(local, t.tokens.ADMIN, 'sendTestNotification', { channel: 'EMAIL' }, 'notifications { messageId recipient }');
      expect(r.data.sendTestNotification.notifications).toHaveLength(3);
      await waitFor(async () => fs.readdirSync(dir).filter((f) => f.endsWith('.eml')), (f) => f.length === 3);
      const eml = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
      const lead = eml.find((e) => e.includes(`To: ${contacts.lead}`))!;
      expect(lead).toMatch(/^Subject: Test notification from the MDR incident service/m);
      expect(lead).toContain(r.data.sendTestNotification.notifications.find((n: { recipient: string }) => n.recipient === contacts.lead).messageId);
      expect(lead).toContain('Content-Type: text/plain');
      expect(lead).toContain('Content-Type: text/html');
    } finally {
      await local.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// (kill -9 mid-delivery: test/notifications-crash.test.ts)
