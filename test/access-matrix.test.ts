// The authorization matrix, generated from the access policy (src/domain/access.ts): every
// Query, Mutation and Subscription field of the schema × every role (and no token) × the own
// tenant and a foreign one. What each cell must show follows from the table alone:
//   role not in the policy  → FORBIDDEN (no token: UNAUTHENTICATED), nothing written, own or foreign
//   role in the policy, own → the door opens (data, success or a domain rule's user error)
//   role in the policy, foreign → exactly like a missing id: null / empty / NOT_FOUND, nothing written
// A new root field fails the first test until it has a policy entry, a scope and a probe here.
import { getNamedType, getNullableType, isInputObjectType, type GraphQLInputType } from 'graphql';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_POLICY, POLICY, type FieldOperation, type Operation } from '../src/domain/access';
import { ROLES, type Role } from '../src/domain/viewer';
import { schema } from '../src/graphql/schema';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { ingest, mutate, summary, truePositive } from './helpers/response';
import { principalWithToken } from '../src/domain/admin';
import { issueToken } from '../src/domain/tokens';
import { connected, subscribe, wsClient } from './helpers/ws';

type Scope = 'own' | 'foreign';
type Caller = Role | 'anonymous';
/** What a caller noticed. */
type Seen = 'visible' | 'hidden' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'NOT_FOUND' | `other: ${string}`;

interface Objects {
  fixture: TenantFixture;
  tenant: string;
  incident: string;
  number: number;
  title: string;
  device: string;
  oneClick: string;
  manual: string;
  extraManual: string[];
  /** Notification contacts: one to update, one to delete. */
  contact: string;
  disposableContact: string;
  /** Webhook endpoints (one to change, one to delete) and a delivery to the first. */
  endpoint: string;
  disposableEndpoint: string;
  delivery: string;
  /** Saved views: one private view of each role's principal (to read and update), one to delete. */
  views: Record<ViewOwner, string>;
  disposableViews: Record<ViewOwner, string>;
  /** An ACTIVE incident to merge into `incident` (mergeIncidents). */
  mergeSource: string;
}

let app: TestApp;
let A: Objects;
let B: Objects;

const ROOTS = [
  ['Query', schema.getQueryType()!],
  ['Mutation', schema.getMutationType()!],
  ['Subscription', schema.getSubscriptionType()!],
] as const;
const rootFields = ROOTS.flatMap(([kind, type]) => Object.keys(type.getFields()).map((name) => ({ kind, name })));

/** One incident with a published managed response: a one-click isolation and manual cards. */
async function objects(t: TenantFixture, awaiting: number): Promise<Objects> {
  const title = `matrix ${t.tenant.slug}`;
  const endpoints: string[] = [];
  for (const path of ['matrix', 'disposable']) {
    const e = await app.gql<any, any>(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } errors { code message } } }`,
      { input: { url: `https://example.com/${path}`, eventTypes: ['INCIDENT_CREATED', 'INCIDENT_UPDATED'] } },
      t.tokens.ADMIN,
    );
    expect(e.data.createWebhookEndpoint.errors).toEqual([]);
    endpoints.push(e.data.createWebhookEndpoint.endpoint.id);
  }
  const inc = await truePositive(app, t, { title });
  const manualCards = Array.from({ length: 40 }, (_, i) => ({ kind: 'MANUAL', title: `Step ${i}`, instructions: 'Do it' }));
  const p = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc.id,
    summary,
    actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }, ...manualCards],
  });
  expect(p.data.publishManagedResponse.errors).toEqual([]);
  const cards = p.data.publishManagedResponse.incident.managedResponse.actions as { id: string; kind: string }[];
  // more incidents awaiting the customer, so that the two tenants' banners differ
  for (let i = 1; i < awaiting; i++) {
    const other = await truePositive(app, t);
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: other.id,
      summary,
      actions: [{ kind: 'MANUAL', title: 'Reset a password', instructions: 'Reset it' }],
    });
  }
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { number } } }`, { id: inc.id }, t.tokens.READER);
  const manual = cards.filter((c) => c.kind === 'MANUAL').map((c) => c.id);
  const contacts: string[] = [];
  for (const name of ['Matrix contact', 'Disposable contact']) {
    const c = await mutate(app, t.tokens.ADMIN, 'createNotificationContact', { name, email: `${name.split(' ')[0].toLowerCase()}-${t.tenant.slug}@example.com`, purposes: ['INCIDENT_NOTIFICATION'] }, 'contact { id }');
    expect(c.data.createNotificationContact.errors).toEqual([]);
    contacts.push(c.data.createNotificationContact.contact.id);
  }
  return {
    fixture: t,
    tenant: t.tenantGid,
    incident: inc.id,
    number: r.data.node.number,
    title,
    device: inc.devices[0].id,
    oneClick: cards.find((c) => c.kind === 'ISOLATE_DEVICE')!.id,
    manual: manual[0],
    extraManual: manual.slice(1),
    contact: contacts[0],
    disposableContact: contacts[1],
    endpoint: endpoints[0],
    disposableEndpoint: endpoints[1],
    ...(await savedViewsOf(t)),
    mergeSource: (await ingest(app, t)).id,
    delivery: (
      await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { deliveries(first: 1) { nodes { id } } } } }`, { id: endpoints[0] }, t.tokens.ADMIN)
    ).data.node.deliveries.nodes[0].id,
  };
}

type ViewOwner = 'READER' | 'OPERATOR' | 'ADMIN' | 'EXPERT';
const VIEW_OWNERS: ViewOwner[] = ['READER', 'OPERATOR', 'ADMIN', 'EXPERT'];

/** Each role's own saved views (only the owner reads a private view, updates or deletes one). */
async function savedViewsOf(t: TenantFixture): Promise<Pick<Objects, 'views' | 'disposableViews'>> {
  const views = {} as Record<ViewOwner, string>;
  const disposableViews = {} as Record<ViewOwner, string>;
  for (const role of VIEW_OWNERS) {
    for (const [name, into] of [['Matrix view', views], ['Disposable view', disposableViews]] as const) {
      const v = await mutate(app, t.tokens[role], 'createSavedView', { name, filter: { severity: ['HIGH'] } }, 'view { id }');
      expect(v.data.createSavedView.errors).toEqual([]);
      into[role] = v.data.createSavedView.view.id;
    }
  }
  return { views, disposableViews };
}

/** Everything a write could change in a tenant, as one comparable value. */
async function snapshot(tenantGid: string): Promise<unknown> {
  const tenantId = (tenantGid === A.tenant ? A : B).fixture.tenant.id;
  const rows = await app.database.db.execute(sql`
    select
      (select count(*) from activity where tenant_id = ${tenantId})::int as activity,
      (select count(*) from incidents where tenant_id = ${tenantId})::int as incidents,
      (select coalesce(sum(version), 0) from incidents where tenant_id = ${tenantId})::int as versions,
      (select string_agg(status::text, ',' order by id) from action_cards where tenant_id = ${tenantId}) as cards,
      (select count(*) from chat_messages where tenant_id = ${tenantId})::int as chat,
      (select count(*) from investigation_updates where tenant_id = ${tenantId})::int as updates,
      (select count(*) from investigation_revisions where tenant_id = ${tenantId})::int as revisions,
      (select count(*) from comments where tenant_id = ${tenantId})::int as comments,
      (select string_agg(health_status::text, ',' order by id) from devices where tenant_id = ${tenantId}) as devices,
      (select service_access_level::text || remediation_exclusions::text || coalesce(teams_webhook_url, '-') from tenants where id = ${tenantId}) as settings,
      (select string_agg(name || email || active::text, ',' order by id) from notification_contacts where tenant_id = ${tenantId}) as contacts,
      (select count(*) from notifications where tenant_id = ${tenantId})::int as notifications,
      (select string_agg(name || active::text || hit_count::text || include_high_severity::text, ',' order by id) from suppression_rules where tenant_id = ${tenantId}) as suppression_rules,
      (select string_agg(name || shared::text || filter::text, ',' order by id) from saved_views where tenant_id = ${tenantId}
        or owner_id in (select principal_id from expert_tenants where tenant_id = ${tenantId})) as views,
      (select string_agg(url || event_types::text || active::text || secret_enc, ',' order by id) from webhook_endpoints where tenant_id = ${tenantId}) as endpoints,
      (select string_agg(status::text || next_attempt_at::text, ',' order by id) from outbound_deliveries where tenant_id = ${tenantId}) as deliveries,
      (select string_agg(system::text || base_url || active::text, ',' order by id) from sync_connectors where tenant_id = ${tenantId}) as connectors,
      (select string_agg(name || role::text || coalesce(disabled_at::text, '-'), ',' order by id) from principals where tenant_id = ${tenantId}) as principals,
      (select string_agg(t.name || coalesce(t.revoked_at::text, '-'), ',' order by t.id) from api_tokens t join principals p on p.id = t.principal_id
        where p.tenant_id = ${tenantId}) as api_tokens`);
  return (rows as unknown as { rows?: unknown[] }).rows ?? rows;
}

/** Until no action attempt of either tenant is queued or running (the executor runs them in the background). */
async function attemptsSettled() {
  const ids = [A.fixture.tenant.id, B.fixture.tenant.id];
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) {
    const rows = await app.database.db.execute(
      sql`select count(*)::int as n from action_attempts where tenant_id in (${ids[0]}, ${ids[1]}) and state in ('QUEUED', 'RUNNING')`,
    );
    const [{ n }] = ((rows as unknown as { rows?: { n: number }[] }).rows ?? rows) as { n: number }[];
    if (Number(n) === 0) return;
  }
  throw new Error('action attempts still running after 10 s');
}

function topLevel(r: GqlResult<unknown>): Seen | null {
  if (!r.errors?.length) return null;
  const code = r.errors[0].extensions?.code;
  return code === 'FORBIDDEN' || code === 'UNAUTHENTICATED' ? code : (`other: ${String(code)} ${r.errors[0].message}` as Seen);
}

const tokenOf = (caller: Caller) => (caller === 'anonymous' ? null : A.fixture.tokens[caller]);
const target = (scope: Scope) => (scope === 'own' ? A : B);

// ---- queries: one probe each, saying whether the target tenant's data came back ----
type Probe = (caller: Caller, scope: Scope) => Promise<Seen>;

async function query(caller: Caller, doc: string, variables: Record<string, unknown>, pick: (data: any) => boolean): Promise<Seen> {
  const r = await app.gql<any, any>(doc, variables, tokenOf(caller));
  return topLevel(r) ?? (pick(r.data) ? 'visible' : 'hidden');
}

const isExpert = (c: Caller) => c === 'EXPERT';

const queryProbes: Record<string, Probe | null> = {
  viewer: (c) => query(c, '{ viewer { role } }', {}, (d) => !!d.viewer.role),
  node: (c, s) => query(c, 'query($id: ID!) { node(id: $id) { id } }', { id: target(s).incident }, (d) => d.node?.id === target(s).incident),
  nodes: (c, s) =>
    query(c, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [target(s).incident, target(s).oneClick] }, (d) => d.nodes.some((n: unknown) => n)),
  tenant: (c, s) => query(c, 'query($id: ID) { tenant(id: $id) { id } }', { id: target(s).tenant }, (d) => d.tenant?.id === target(s).tenant),
  incidents: (c, s) =>
    query(c, 'query($f: IncidentFilter) { incidents(first: 5, filter: $f) { totalCount nodes { id } } }', { f: { search: target(s).title } }, (d) =>
      d.incidents.totalCount > 0 || d.incidents.nodes.length > 0,
    ),
  incident: (c, s) =>
    query(
      c,
      'query($n: Int!, $t: ID) { incident(number: $n, tenantId: $t) { id } }',
      { n: target(s).number, t: isExpert(c) || s === 'foreign' ? target(s).tenant : null },
      (d) => d.incident?.id === target(s).incident,
    ),
  responseActions: (c, s) =>
    query(c, 'query($f: ActionFilter) { responseActions(first: 5, filter: $f) { totalCount nodes { id } } }', { f: { incidentId: target(s).incident } }, (d) =>
      d.responseActions.totalCount > 0 || d.responseActions.nodes.length > 0,
    ),
  // the banners differ (A: 1 awaiting, B: 2): B's numbers coming back is B's data
  managedResponseSummary: async (c, s) => {
    const r = await app.gql<any, any>('query($t: ID) { managedResponseSummary(tenantId: $t) { awaitingCustomerAction } }', { t: target(s).tenant }, tokenOf(c));
    const top = topLevel(r);
    if (top) return top;
    const n = r.data.managedResponseSummary.awaitingCustomerAction;
    return s === 'own' ? (n === 1 ? 'visible' : 'hidden') : n === 2 ? 'visible' : 'hidden';
  },
  // the caller's own view of the target tenant (own: its private view; foreign: none of B's)
  savedViews: (c, s) =>
    query(c, '{ savedViews { id } }', {}, (d) => d.savedViews.some((v: { id: string }) => Object.values(target(s).views).includes(v.id))),
  suppressionRules: (c, s) =>
    query(c, 'query($t: ID) { suppressionRules(tenantId: $t) { id } }', { t: target(s).tenant }, (d) =>
      d.suppressionRules.some((r: { id: string }) => r.id === suppressionOf(target(s)).rule),
    ),
  // the ADMIN's principals list: the target tenant's disposable principal in it
  principals: (c, s) =>
    query(c, '{ principals(first: 100) { nodes { id } } }', {}, (d) => d.principals.nodes.some((n: { id: string }) => n.id === adminObjectsOf(target(s)).principal)),
  // what the preview finds is the target tenant's incident a rule closed; a foreign tenant is NOT_FOUND
  previewSuppressionRule: async (c, s) => {
    const o = suppressionOf(target(s));
    const r = await app.gql<any, any>(
      'query($input: SuppressionRuleInput!) { previewSuppressionRule(input: $input) { matches } }',
      { input: { tenantId: target(s).tenant, name: 'probe', conditions: [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: o.marker }] } },
      tokenOf(c),
    );
    if (r.errors?.[0]?.extensions?.code === 'NOT_FOUND') return 'NOT_FOUND';
    return topLevel(r) ?? (r.data.previewSuppressionRule.matches > 0 ? 'visible' : 'hidden');
  },
  // the target tenant's incidents of today counted; a foreign tenant is NOT_FOUND
  serviceMetrics: async (c, s) => {
    const now = Date.now();
    const r = await app.gql<any, any>(
      'query($t: ID, $from: DateTime!, $to: DateTime!) { serviceMetrics(tenantId: $t, from: $from, to: $to, interval: DAY) { totals { incidents } } }',
      { t: target(s).tenant, from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 86_400_000).toISOString() },
      tokenOf(c),
    );
    if (r.errors?.[0]?.extensions?.code === 'NOT_FOUND') return 'NOT_FOUND';
    return topLevel(r) ?? (r.data.serviceMetrics.totals.incidents > 0 ? 'visible' : 'hidden');
  },
  // this month's report of the target tenant counts its incidents; a foreign tenant is NOT_FOUND
  serviceReport: async (c, s) => {
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const r = await app.gql<any, any>(
      'query($t: ID, $m: String!) { serviceReport(tenantId: $t, month: $m) { metrics { totals { incidents } } htmlUrl } }',
      { t: target(s).tenant, m: month },
      tokenOf(c),
    );
    if (r.errors?.[0]?.extensions?.code === 'NOT_FOUND') return 'NOT_FOUND';
    return topLevel(r) ?? (r.data.serviceReport.metrics.totals.incidents > 0 && r.data.serviceReport.htmlUrl ? 'visible' : 'hidden');
  },
};

// ---- mutations: the input that names the target tenant's objects ----
let manualIndex = 0;
const mutationInputs: Record<string, ((o: Objects, scope: Scope, caller: Caller) => Record<string, unknown>) | null> = {
  ingestIncident: null, // an integration writes only into its own tenant: probed own-only below
  createSuppressionRule: (o) => ({ tenantId: o.tenant, name: `Matrix rule ${Math.random()}`, conditions: [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: 'matrix-never-matches' }] }),
  updateSuppressionRule: (o) => ({ ruleId: suppressionOf(o).rule, name: 'Matrix rule renamed', includeHighSeverity: true }),
  deleteSuppressionRule: (o, s) => ({ ruleId: suppressionOf(o).disposable[s === 'own' ? disposableRuleIndex++ % suppressionOf(o).disposable.length : 0] }),
  // the first allowed caller reopens it; later ones get INVALID_TRANSITION (the door opened)
  undoSuppression: (o) => ({ incidentId: suppressionOf(o).suppressed }),
  startInvestigation: (o) => ({ incidentId: o.incident }),
  classifyIncident: (o) => ({ incidentId: o.incident, classification: 'TRUE_POSITIVE', determination: 'MALWARE', summary: 'x' }),
  publishManagedResponse: (o) => ({ incidentId: o.incident, summary, actions: [{ kind: 'MANUAL', title: 'More', instructions: 'More' }] }),
  amendManagedResponse: (o) => ({ incidentId: o.incident, addActions: [{ kind: 'MANUAL', title: 'Amended', instructions: 'More' }] }),
  postInvestigationUpdate: (o) => ({ incidentId: o.incident, body: 'matrix update' }),
  reopenIncident: (o) => ({ incidentId: o.incident }),
  performAction: (o) => ({ actionId: o.oneClick }),
  // an ad-hoc scan of the tenant's device (another tenant's device: NOT_FOUND)
  performEntityAction: (o) => ({ kind: 'RUN_ANTIVIRUS_SCAN', targetId: o.device, scanType: 'QUICK' }),
  completeManualAction: (o, s) => ({ actionId: s === 'own' ? o.extraManual[manualIndex++ % o.extraManual.length] : o.manual }),
  skipAction: (o, s) => ({ actionId: s === 'own' ? o.extraManual[manualIndex++ % o.extraManual.length] : o.manual, reason: 'no' }),
  updateIncident: (o) => ({ incidentId: o.incident, tags: ['matrix'] }),
  bulkClassifyIncidents: (o) => ({ incidentIds: [o.incident], classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'matrix bulk' }),
  bulkUpdateIncidents: (o) => ({ incidentIds: [o.incident], addTags: ['matrix-bulk'] }),
  mergeIncidents: (o) => ({ targetId: o.incident, sourceIds: [o.mergeSource] }),
  addComment: (o) => ({ incidentId: o.incident, body: 'matrix comment' }),
  sendChatMessage: (o) => ({ incidentId: o.incident, body: 'matrix chat' }),
  setServiceAccessLevel: (o) => ({ tenantId: o.tenant, level: 'OPERATOR' }),
  setRemediationExclusions: (o) => ({ tenantId: o.tenant, deviceGroups: ['Domain Controllers'] }),
  setDeviceHealth: (o) => ({ deviceId: o.device, health: 'ACTIVE' }),
  createNotificationContact: (o) => ({ tenantId: o.tenant, name: 'New contact', email: `new-${Math.random().toString(36).slice(2)}@example.com`, purposes: ['INCIDENT_NOTIFICATION'] }),
  updateNotificationContact: (o) => ({ contactId: o.contact, name: 'Renamed contact' }),
  deleteNotificationContact: (o) => ({ contactId: o.disposableContact }),
  setTeamsWebhook: (o) => ({ tenantId: o.tenant, url: 'https://example.com/workflows/teams-hook' }),
  sendTestNotification: (o) => ({ tenantId: o.tenant, channel: 'EMAIL' }),
  createWebhookEndpoint: (o) => ({ tenantId: o.tenant, url: 'https://example.com/new-hook', eventTypes: ['INCIDENT_RESOLVED'] }),
  updateWebhookEndpoint: (o) => ({ endpointId: o.endpoint, eventTypes: ['INCIDENT_CREATED', 'INCIDENT_UPDATED', 'ACTION_UPDATED'] }),
  rotateWebhookSecret: (o) => ({ endpointId: o.endpoint }),
  deleteWebhookEndpoint: (o) => ({ endpointId: o.disposableEndpoint }),
  redeliverWebhook: (o) => ({ deliveryId: o.delivery }),
  configureSyncConnector: (o) => ({ tenantId: o.tenant, system: 'SERVICENOW', baseUrl: 'https://acme.service-now.com', credentials: { username: 'svc', password: 'secret' }, active: false }),
  // saved views belong to a principal: the caller's own (own), B's principal of the same role
  // (foreign; a filter naming B's assignee when creating)
  createSavedView: (o, s) => ({
    name: `New view ${Math.random().toString(36).slice(2)}`,
    filter: s === 'own' ? { severity: ['LOW'] } : { assigneeId: encodeGlobalID('Principal', o.fixture.principals.OPERATOR.id) },
  }),
  updateSavedView: (o, _s, c) => ({ viewId: o.views[c as ViewOwner] ?? o.views.ADMIN, name: 'Renamed view' }),
  deleteSavedView: (o, _s, c) => ({ viewId: o.disposableViews[c as ViewOwner] ?? o.disposableViews.ADMIN }),
  // administration: a disposable principal and token per tenant, never the matrix's callers
  createPrincipal: (o) => ({ tenantId: o.tenant, name: 'Matrix principal', role: 'READER' }),
  updatePrincipal: (o) => ({ principalId: adminObjectsOf(o).principal, role: 'OPERATOR' }),
  createApiToken: (o) => ({ principalId: adminObjectsOf(o).principal, name: 'Matrix token' }),
  // the first allowed caller revokes it; a later one would get INVALID_TRANSITION (the door opened)
  revokeApiToken: (o) => ({ tokenId: adminObjectsOf(o).token }),
};

function inputTypeOf(op: string): string {
  const arg = schema.getMutationType()!.getFields()[op].args.find((a) => a.name === 'input')!;
  const named = getNamedType(arg.type as GraphQLInputType);
  if (!isInputObjectType(getNullableType(named))) throw new Error(`${op}: input is not an input object`);
  return named.name;
}

async function mutation(caller: Caller, op: string, input: Record<string, unknown>): Promise<Seen> {
  // a bulk's per-item errors sit in results: a bulk of one foreign incident is that item's NOT_FOUND
  const bulk = op.startsWith('bulk');
  const r = await app.gql<any, any>(`mutation($input: ${inputTypeOf(op)}!) { ${op}(input: $input) { errors { code message }${bulk ? ' results { errors { code message } }' : ''} } }`, { input }, tokenOf(caller));
  const top = topLevel(r);
  if (top) return top;
  const code = (r.data[op].errors[0] ?? (bulk ? r.data[op].results[0]?.errors[0] : undefined))?.code as string | undefined;
  return code === 'NOT_FOUND' ? 'NOT_FOUND' : code === 'FORBIDDEN' ? 'FORBIDDEN' : 'visible';
}

// ---- subscriptions: subscribe, cause an event in the target tenant, then one in the own tenant ----
const subscriptionDocs: Record<string, ((o: Objects) => { query: string; variables: Record<string, unknown> }) | null> = {
  incidentChanged: (o) => ({ query: 'subscription($f: IncidentFilter) { incidentChanged(filter: $f) { incident { id tenant { id } } } }', variables: { f: { search: o.title } } }),
  actionChanged: () => ({ query: 'subscription { actionChanged { id incident { id } } }', variables: {} }),
  chatMessageAdded: (o) => ({ query: 'subscription($id: ID!) { chatMessageAdded(incidentId: $id) { id incident { id } } }', variables: { id: o.incident } }),
  managedResponseSummaryChanged: (o) => ({ query: 'subscription($t: ID) { managedResponseSummaryChanged(tenantId: $t) { awaitingCustomerAction } }', variables: { t: o.tenant } }),
};

/** Events of every subscription kind in one tenant: a comment, a chat message, a skipped card, a status. */
async function stir(o: Objects) {
  const t = o.fixture.tokens;
  await mutate(app, t.OPERATOR, 'addComment', { incidentId: o.incident, body: 'stir' }, 'incident { id }');
  await mutate(app, t.OPERATOR, 'sendChatMessage', { incidentId: o.incident, body: 'stir' }, 'message { id }');
  await mutate(app, t.OPERATOR, 'skipAction', { actionId: o.extraManual[manualIndex++ % o.extraManual.length], reason: 'stir' }, 'action { id }');
  const inc = await ingest(app, o.fixture, { title: o.title });
  await mutate(app, t.EXPERT, 'startInvestigation', { incidentId: inc.id }, 'incident { id }');
}

/** Did the subscription deliver the target tenant's data? (The banner always starts with counts.) */
function delivered(op: string, events: any[], scope: Scope): boolean {
  if (op !== 'managedResponseSummaryChanged') return events.length > 0;
  const counts = events.map((e) => e.managedResponseSummaryChanged.awaitingCustomerAction);
  return scope === 'own' ? counts.includes(1) : counts.some((n) => n !== 0);
}

async function subscription(caller: Caller, op: string, scope: Scope): Promise<Seen> {
  if (caller === 'anonymous') return 'UNAUTHENTICATED'; // no socket without a token: test/revocation.test.ts
  const client = wsClient(app.url, tokenOf(caller));
  const doc = subscriptionDocs[op]!(target(scope));
  const sub = subscribe(client, doc.query, doc.variables);
  // a sentinel in the own tenant: once it has seen a later own event, a foreign one would have arrived
  const sentinel = subscribe(client, 'subscription { incidentChanged { activity { field to } } }');
  try {
    await connected(client).catch(() => {});
    await new Promise((r) => setTimeout(r, 100)); // both subscriptions registered at the hub
    if (sub.errors.length) return classifyErrors(sub.errors);
    await stir(target(scope));
    if (scope === 'foreign') {
      const seen = sentinel.events.length;
      await mutate(app, A.fixture.tokens.OPERATOR, 'addComment', { incidentId: A.incident, body: 'sentinel' }, 'incident { id }');
      await sentinel.waitFor(seen + 1);
    } else {
      const end = Date.now() + 10_000;
      while (!delivered(op, sub.events, scope) && !sub.errors.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    }
    if (sub.errors.length) return classifyErrors(sub.errors);
    return delivered(op, sub.events, scope) ? 'visible' : 'hidden';
  } finally {
    sub.dispose();
    sentinel.dispose();
    await client.dispose();
  }
}

function classifyErrors(errors: unknown[]): Seen {
  const first = (errors.flat() as { extensions?: { code?: string }; message?: string }[])[0];
  const code = first?.extensions?.code;
  if (code === 'FORBIDDEN' || code === 'UNAUTHENTICATED') return code;
  if (code === 'NOT_FOUND' || code === 'BAD_USER_INPUT') return 'hidden';
  return `other: ${String(code)} ${first?.message}` as Seen;
}

beforeAll(async () => {
  app = await startApp();
  const ta = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
  const tb = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
  A = await objects(ta, 1);
  B = await objects(tb, 2);
});
afterAll(async () => {
  await app?.close();
});

// ---- suppression rules, per tenant: a rule to read and update, rules to delete, an incident a rule closed
interface SuppressionObjects {
  rule: string;
  disposable: string[];
  suppressed: string;
  /** The alert title the rule matches (and the preview probe looks for). */
  marker: string;
}
const suppression = new Map<string, SuppressionObjects>();
const suppressionOf = (o: Objects) => suppression.get(o.tenant)!;
let disposableRuleIndex = 0;
beforeAll(async () => {
  for (const o of [A, B]) {
    const t = o.fixture;
    const marker = `matrix-suppressed-${t.tenant.slug}`;
    const create = async (name: string, value: string) => {
      const r = await mutate(app, t.tokens.EXPERT, 'createSuppressionRule', { name, conditions: [{ field: 'ALERT_TITLE', operator: 'EQUALS', value }] }, 'rule { id }');
      expect(r.data.createSuppressionRule.errors).toEqual([]);
      return r.data.createSuppressionRule.rule.id as string;
    };
    const rule = await create('Matrix rule', marker);
    const disposable = [await create('Disposable rule 1', `${marker}-never`), await create('Disposable rule 2', `${marker}-never`), await create('Disposable rule 3', `${marker}-never`)];
    const closed = await ingest(app, t, { alerts: [{ externalId: `${marker}-${Math.random()}`, title: marker, severity: 'LOW', evidence: [] }] });
    suppression.set(o.tenant, { rule, disposable, suppressed: closed.id, marker });
  }
});

// ---- administration, per tenant: a principal to change and issue tokens for, a token to revoke
const adminObjects = new Map<string, { principal: string; token: string }>();
const adminObjectsOf = (o: Objects) => adminObjects.get(o.tenant)!;
beforeAll(async () => {
  for (const o of [A, B]) {
    const { principal } = await principalWithToken(app.database.db, { tenantId: o.fixture.tenant.id, role: 'READER', name: 'Matrix disposable' });
    const { id } = await issueToken(app.database.db, principal.id, 'Matrix disposable token');
    adminObjects.set(o.tenant, { principal: encodeGlobalID('Principal', principal.id), token: encodeGlobalID('ApiToken', id) });
  }
});

describe('access policy', () => {
  it('names every root field of the schema, and each field carries the policy scope', () => {
    const missing = rootFields.filter((f) => !(f.name in POLICY)).map((f) => `${f.kind}.${f.name}`);
    expect(missing, 'root fields without a policy entry').toEqual([]);
    const unscoped = rootFields.filter((f) => {
      const type = ROOTS.find(([k]) => k === f.kind)![1];
      const scopes = (type.getFields()[f.name].extensions as { pothosOptions?: { authScopes?: unknown } }).pothosOptions?.authScopes;
      return JSON.stringify(scopes) !== JSON.stringify({ policy: f.name });
    });
    expect(unscoped.map((f) => `${f.kind}.${f.name}`), 'root fields whose authScopes are not { policy: <field name> }').toEqual([]);
    const stale = Object.keys(POLICY).filter((op) => !rootFields.some((f) => f.name === op));
    expect(stale, 'policy entries with no root field').toEqual([]);
  });

  it('has a probe for every root field', () => {
    const probes = { ...queryProbes, ...mutationInputs, ...subscriptionDocs };
    expect(rootFields.filter((f) => !(f.name in probes)).map((f) => f.name)).toEqual([]);
  });
});

const callers: Caller[] = [...ROLES, 'anonymous'];
const cells = rootFields.flatMap((f) =>
  callers.flatMap((caller) => (['own', 'foreign'] as Scope[]).map((scope) => ({ ...f, caller, scope }))),
);

describe('authorization matrix, from the policy table', () => {
  it.each(cells)('$caller: $kind $name on the $scope tenant', async ({ kind, name, caller, scope }) => {
    const op = name as Operation;
    const allowed = caller !== 'anonymous' && (POLICY[op] as readonly Role[]).includes(caller);
    const refused: Seen = caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
    // what a write must leave alone (reads and subscriptions write nothing: not taken for them)
    const before = kind === 'Mutation' ? [await snapshot(A.tenant), await snapshot(B.tenant)] : null;

    let seen: Seen;
    if (kind === 'Query') {
      if (name === 'viewer' && scope === 'foreign') return; // the viewer has no tenant to cross into
      seen = await queryProbes[name]!(caller, scope);
    } else if (kind === 'Mutation') {
      if (name === 'ingestIncident') {
        if (scope === 'foreign') return; // an integration has no way to name another tenant
        const r = await app.gql<any, any>(
          'mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { errors { code } } }',
          { input: { externalId: `m-${Math.random()}`, title: 'matrix ingest', severity: 'LOW', alerts: [] } },
          tokenOf(caller),
        );
        seen = topLevel(r) ?? 'visible';
      } else {
        seen = await mutation(caller, name, mutationInputs[name]!(target(scope), scope, caller));
        // an ad-hoc action runs in the background: let it finish, or the next cell's snapshot moves
        if (name === 'performEntityAction') await attemptsSettled();
      }
    } else {
      seen = await subscription(caller, name, scope);
    }

    if (!allowed) {
      expect(seen).toBe(refused);
      if (before) expect([await snapshot(A.tenant), await snapshot(B.tenant)], 'a refused write changed nothing').toEqual(before);
    } else if (scope === 'own') {
      expect(seen).toBe('visible');
    } else {
      expect(['hidden', 'NOT_FOUND']).toContain(seen);
      if (before) expect(await snapshot(B.tenant), 'a foreign write changed nothing there').toEqual(before[1]);
    }
  });
});

// ---- fields only some roles read (FIELD_POLICY): through the tenant query, own and foreign ----
const fieldSelections: Record<FieldOperation, string> = {
  'Tenant.notificationContacts': 'notificationContacts { id email }',
  'Tenant.teamsWebhookConfigured': 'teamsWebhookConfigured',
  'Tenant.notifications': 'notifications(first: 5) { totalCount nodes { id } }',
  'Tenant.webhookEndpoints': 'webhookEndpoints { id url deliveries(first: 2) { totalCount nodes { id attemptLog { at } } } }',
  'Tenant.syncConnectors': 'syncConnectors { id system baseUrl }',
};

describe('field policy', () => {
  it('every FIELD_POLICY entry is a field of the schema carrying that scope', () => {
    for (const op of Object.keys(FIELD_POLICY) as FieldOperation[]) {
      const [typeName, fieldName] = op.split('.');
      const field = (schema.getType(typeName) as import('graphql').GraphQLObjectType).getFields()[fieldName];
      expect(field, op).toBeDefined();
      expect((field.extensions as { pothosOptions?: { authScopes?: unknown } }).pothosOptions?.authScopes).toEqual({ fieldPolicy: op });
      expect(fieldSelections[op], `a probe for ${op}`).toBeDefined();
    }
  });

  const fieldCells = (Object.keys(FIELD_POLICY) as FieldOperation[]).flatMap((op) =>
    callers.flatMap((caller) => (['own', 'foreign'] as Scope[]).map((scope) => ({ op, caller, scope }))),
  );
  it.each(fieldCells)('$caller: $op on the $scope tenant', async ({ op, caller, scope }) => {
    const r = await app.gql<any, any>(`query($id: ID) { tenant(id: $id) { id ${fieldSelections[op]} } }`, { id: target(scope).tenant }, tokenOf(caller));
    const allowed = caller !== 'anonymous' && (FIELD_POLICY[op] as readonly Role[]).includes(caller);
    const top = topLevel(r);
    if (caller === 'anonymous') return expect(top).toBe('UNAUTHENTICATED');
    if (scope === 'foreign') {
      // the tenant itself is not readable: null, whatever the role
      expect(r.data?.tenant ?? null).toBeNull();
      return;
    }
    if (!allowed) {
      expect(top).toBe('FORBIDDEN');
      expect(r.data?.tenant ?? null).toBeNull();
    } else {
      expect(top).toBeNull();
      expect(r.data.tenant.id).toBe(A.tenant);
    }
  });
});

// ---- node(id) for every kind of object that belongs to an incident or an ad-hoc action ----
// A comment and an activity entry pass their incident's door; an activity entry of an ad-hoc
// action (no incident) passes the action center's. Every role reads them in its own tenant, and
// another tenant's look exactly like ids that never existed: null.
interface NodeObjects {
  comment: string;
  activity: string;
  adHocActivity: string;
}
const nodeObjects = new Map<string, NodeObjects>();
beforeAll(async () => {
  for (const o of [A, B]) {
    const t = o.fixture;
    const c = await mutate(app, t.tokens.OPERATOR, 'addComment', { incidentId: o.incident, body: 'matrix node comment' }, 'incident { comments(last: 1) { nodes { id } } activity(last: 1) { nodes { id field } } }');
    expect(c.data.addComment.errors).toEqual([]);
    const inc = c.data.addComment.incident;
    expect(inc.activity.nodes[0].field).toBe('COMMENT');
    const scan = await app.gql<any, any>(
      'mutation($input: PerformEntityActionInput!) { performEntityAction(input: $input) { action { id incident { id } } errors { code message } } }',
      { input: { kind: 'RUN_ANTIVIRUS_SCAN', targetId: o.device, scanType: 'QUICK' } },
      t.tokens.OPERATOR,
    );
    expect(scan.errors).toBeUndefined();
    expect(scan.data.performEntityAction.errors).toEqual([]);
    expect(scan.data.performEntityAction.action.incident).toBeNull();
    const cardId = decodeGlobalID(scan.data.performEntityAction.action.id).id;
    const rows = await app.database.db.execute(sql`select id from activity where subject_id = ${cardId}::uuid and incident_id is null order by id limit 1`);
    const [{ id }] = ((rows as unknown as { rows?: { id: number }[] }).rows ?? rows) as { id: number }[];
    nodeObjects.set(o.tenant, { comment: inc.comments.nodes[0].id, activity: inc.activity.nodes[0].id, adHocActivity: encodeGlobalID('Activity', String(id)) });
  }
  await attemptsSettled();
});

const NODE_KINDS: { kind: string; pick: (n: NodeObjects) => string; selection: string }[] = [
  { kind: 'Comment', pick: (n) => n.comment, selection: '... on Comment { body }' },
  { kind: 'Activity of an incident', pick: (n) => n.activity, selection: '... on Activity { field incident { id } }' },
  { kind: 'Activity of an ad-hoc action', pick: (n) => n.adHocActivity, selection: '... on Activity { field incident { id } }' },
];
const nodeCells = NODE_KINDS.flatMap((k) => callers.flatMap((caller) => (['own', 'foreign'] as Scope[]).map((scope) => ({ ...k, caller, scope }))));

describe('node(id) by kind, from the policy table', () => {
  it.each(nodeCells)('$caller: node($kind) on the $scope tenant', async ({ pick, selection, caller, scope }) => {
    const id = pick(nodeObjects.get(target(scope).tenant)!);
    const single = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id ${selection} } }`, { id }, tokenOf(caller));
    const many = await app.gql<any, any>(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [id] }, tokenOf(caller));
    if (caller === 'anonymous') {
      expect(topLevel(single)).toBe('UNAUTHENTICATED');
      return;
    }
    expect(single.errors).toBeUndefined();
    expect(many.errors).toBeUndefined();
    const allowed = (POLICY.node as readonly Role[]).includes(caller);
    if (scope === 'own' && allowed) {
      expect(single.data.node?.id).toBe(id);
      expect(many.data.nodes).toEqual([{ id }]);
    } else {
      expect(single.data.node).toBeNull();
      expect(many.data.nodes).toEqual([null]);
    }
  });
});
