// The access module: who may do what (the policy table), and the tenant scope every read and
// write goes through. The scope-auth scopes of the GraphQL root fields, the domain commands, the
// permission hints (viewerCan…), the loaders and the subscription filters all read this file; the
// authorization matrix test (test/access-matrix.test.ts) is generated from the same table, so a
// new operation is tried with every role, own tenant and foreign tenant as soon as it exists.
//
// The order of checks is the same everywhere, and decides the error a caller sees:
//   1. no or bad token                     → top-level UNAUTHENTICATED
//   2. the role may not use the operation  → top-level FORBIDDEN (before any database work, so
//                                            it tells nothing about ids)
//   3. the object is not in the viewer's tenants → exactly like a missing one: `null` for reads,
//                                            a NOT_FOUND user error for writes
//   4. a rule of the domain (state, access level, exclusions) → a user error in the payload
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../db/client';
import { AccessError, notFound } from './errors';
import { ROLES, type Role, type Viewer } from './viewer';

const ALL: readonly Role[] = ROLES;
const CUSTOMERS_AND_EXPERTS: readonly Role[] = ['READER', 'OPERATOR', 'ADMIN', 'EXPERT'];
const EDITORS: readonly Role[] = ['OPERATOR', 'ADMIN', 'EXPERT'];
const CUSTOMER_OPERATORS: readonly Role[] = ['OPERATOR', 'ADMIN'];
const EXPERTS: readonly Role[] = ['EXPERT'];
const ADMINS: readonly Role[] = ['ADMIN'];
/** Suppression rules: the experts for the tenants they serve, a tenant ADMIN for its own. */
const RULE_WRITERS: readonly Role[] = ['ADMIN', 'EXPERT'];

/**
 * Operation → the roles that may use it. Every Query, Mutation and Subscription field of the
 * schema is named here under its field name (a test fails when one is missing); domain commands
 * authorize under the name of the mutation that runs them.
 */
export const POLICY = {
  // ---- queries: every role reads its own tenants (INTEGRATION reads what it ingests)
  viewer: ALL,
  node: ALL,
  nodes: ALL,
  tenant: ALL,
  incidents: ALL,
  incident: ALL,
  responseActions: ALL,
  managedResponseSummary: ALL,
  savedViews: CUSTOMERS_AND_EXPERTS,
  // customers see what silences their incidents; the tenant ADMIN and the experts write the rules
  suppressionRules: CUSTOMERS_AND_EXPERTS,
  previewSuppressionRule: RULE_WRITERS,
  // SLA metrics: experts for the tenants they serve, customers for their own
  serviceMetrics: CUSTOMERS_AND_EXPERTS,
  // the monthly service report (its data, and a short-lived signed link to its page): the same
  serviceReport: CUSTOMERS_AND_EXPERTS,
  // ---- administration through the API: the tenant ADMIN manages its principals and API tokens
  principals: ADMINS,
  // ---- subscriptions
  incidentChanged: ALL,
  actionChanged: ALL,
  chatMessageAdded: ALL,
  managedResponseSummaryChanged: ALL,
  // ---- integration
  ingestIncident: ['INTEGRATION'],
  // ---- experts: triage and the managed response
  startInvestigation: EXPERTS,
  classifyIncident: EXPERTS,
  publishManagedResponse: EXPERTS,
  amendManagedResponse: EXPERTS,
  postInvestigationUpdate: EXPERTS,
  reopenIncident: EXPERTS,
  // ---- acting on action cards (the access level and exclusions decide further for experts)
  performAction: EDITORS,
  completeManualAction: CUSTOMER_OPERATORS,
  skipAction: CUSTOMER_OPERATORS,
  // an ad-hoc action from an entity's page: the customer's own decision, outside any incident
  performEntityAction: CUSTOMER_OPERATORS,
  // ---- working the queue (SPEC.md section 8)
  bulkClassifyIncidents: EXPERTS,
  bulkUpdateIncidents: EDITORS,
  mergeIncidents: EXPERTS,
  createSavedView: CUSTOMERS_AND_EXPERTS,
  updateSavedView: CUSTOMERS_AND_EXPERTS,
  deleteSavedView: CUSTOMERS_AND_EXPERTS,
  createSuppressionRule: RULE_WRITERS,
  updateSuppressionRule: RULE_WRITERS,
  deleteSuppressionRule: RULE_WRITERS,
  undoSuppression: RULE_WRITERS,
  // ---- incident edits and conversation
  updateIncident: EDITORS,
  addComment: EDITORS,
  sendChatMessage: CUSTOMERS_AND_EXPERTS,
  // ---- tenant administration
  setServiceAccessLevel: ADMINS,
  setRemediationExclusions: ADMINS,
  setDeviceHealth: ADMINS,
  // ---- notifications: the tenant ADMIN manages contacts and the Teams channel
  createNotificationContact: ADMINS,
  updateNotificationContact: ADMINS,
  deleteNotificationContact: ADMINS,
  setTeamsWebhook: ADMINS,
  sendTestNotification: ADMINS,
  // ---- outbound integrations: the tenant ADMIN manages webhooks and sync connectors
  createWebhookEndpoint: ADMINS,
  updateWebhookEndpoint: ADMINS,
  rotateWebhookSecret: ADMINS,
  deleteWebhookEndpoint: ADMINS,
  redeliverWebhook: ADMINS,
  configureSyncConnector: ADMINS,
  // ---- administration: principals and API tokens of the ADMIN's own tenant (domain/principals.ts)
  createPrincipal: ADMINS,
  updatePrincipal: ADMINS,
  createApiToken: ADMINS,
  revokeApiToken: ADMINS,
} as const satisfies Record<string, readonly Role[]>;

/**
 * Fields below the root that only some roles may read (the object itself is readable by all its
 * tenant's principals). Their scope is `{ fieldPolicy: '<Type.field>' }`; the matrix test checks
 * each one with every role. Objects reachable by id (node) apply the same rule in their loaders.
 */
export const FIELD_POLICY = {
  // who is told, and how it went: the tenant's ADMIN and the experts serving it
  'Tenant.notificationContacts': ['ADMIN', 'EXPERT'],
  'Tenant.teamsWebhookConfigured': ['ADMIN', 'EXPERT'],
  'Tenant.notifications': ['ADMIN', 'EXPERT'],
  // outbound integrations and their delivery logs: the same
  'Tenant.webhookEndpoints': ['ADMIN', 'EXPERT'],
  'Tenant.syncConnectors': ['ADMIN', 'EXPERT'],
} as const satisfies Record<string, readonly Role[]>;

export type FieldOperation = keyof typeof FIELD_POLICY;

export function allowsField(viewer: Viewer | null | undefined, op: FieldOperation): boolean {
  return !!viewer && (FIELD_POLICY[op] as readonly Role[]).includes(viewer.role);
}

export type Operation = keyof typeof POLICY;

/** Human wording for FORBIDDEN messages. */
const WHAT: Partial<Record<Operation, string>> = {
  ingestIncident: 'ingest incidents',
  startInvestigation: 'start investigations',
  classifyIncident: 'classify incidents',
  publishManagedResponse: 'publish managed responses',
  amendManagedResponse: 'amend managed responses',
  postInvestigationUpdate: 'post investigation updates',
  performEntityAction: 'act on devices, accounts, messages or indicators',
  bulkClassifyIncidents: 'classify incidents',
  bulkUpdateIncidents: 'update incidents',
  mergeIncidents: 'merge incidents',
  createSavedView: 'save views',
  updateSavedView: 'save views',
  deleteSavedView: 'save views',
  createSuppressionRule: 'manage suppression rules',
  updateSuppressionRule: 'manage suppression rules',
  deleteSuppressionRule: 'manage suppression rules',
  undoSuppression: 'undo suppressions',
  reopenIncident: 'reopen incidents',
  performAction: 'perform response actions',
  completeManualAction: 'confirm manual actions',
  skipAction: 'skip response actions',
  updateIncident: 'update incidents',
  addComment: 'comment on incidents',
  sendChatMessage: 'chat',
  setServiceAccessLevel: 'change tenant settings',
  setRemediationExclusions: 'change tenant settings',
  setDeviceHealth: 'change device health',
  createNotificationContact: 'manage notification contacts',
  updateNotificationContact: 'manage notification contacts',
  deleteNotificationContact: 'manage notification contacts',
  setTeamsWebhook: 'change tenant settings',
  sendTestNotification: 'send test notifications',
  createWebhookEndpoint: 'manage webhooks',
  updateWebhookEndpoint: 'manage webhooks',
  rotateWebhookSecret: 'manage webhooks',
  deleteWebhookEndpoint: 'manage webhooks',
  redeliverWebhook: 'manage webhooks',
  configureSyncConnector: 'manage sync connectors',
  principals: 'list principals',
  createPrincipal: 'manage principals',
  updatePrincipal: 'manage principals',
  createApiToken: 'manage API tokens',
  revokeApiToken: 'manage API tokens',
};

export const rolesFor = (op: Operation): readonly Role[] => POLICY[op];

/** May this viewer use the operation at all (before any tenant check)? */
export function allows(viewer: Viewer | null | undefined, op: Operation): boolean {
  return !!viewer && (POLICY[op] as readonly Role[]).includes(viewer.role);
}

/** The viewer, when it may use the operation; otherwise UNAUTHENTICATED or FORBIDDEN. */
export function authorize(viewer: Viewer | null | undefined, op: Operation): Viewer {
  if (!viewer) throw new AccessError('UNAUTHENTICATED', 'A valid bearer token is required');
  if (!(POLICY[op] as readonly Role[]).includes(viewer.role)) throw new AccessError('FORBIDDEN', `The ${viewer.role} role may not ${WHAT[op] ?? `use ${op}`}`);
  return viewer;
}

/** May the viewer use the operation on this tenant's objects? (The permission hints ask this.) */
export function allowsOn(viewer: Viewer | null | undefined, op: Operation, tenantId: string): boolean {
  return !!viewer && allows(viewer, op) && viewer.tenantIds.includes(tenantId);
}

/** The tenants a viewer may read: the one tenant door for lists, loaders and subscriptions. */
export function readableTenants(viewer: Viewer | null | undefined): readonly string[] {
  return viewer ? viewer.tenantIds : [];
}

export function canReadTenant(viewer: Viewer | null | undefined, tenantId: string | null | undefined): boolean {
  return !!viewer && !!tenantId && viewer.tenantIds.includes(tenantId);
}

/**
 * Narrow an optional list of tenant ids the caller asked for to the ones it may read.
 * Ids it may not read are dropped silently: asking for a foreign tenant gives the same empty
 * result as asking for one that does not exist.
 */
export function scopeTenantIds(viewer: Viewer, requested: readonly string[] | null | undefined): string[] {
  if (!requested || requested.length === 0) return [...viewer.tenantIds];
  return requested.filter((id) => viewer.tenantIds.includes(id));
}

/** The tenant condition of every scoped read (lists, loaders, counts): no tenants, no rows. */
export function inReadableTenants(column: AnyPgColumn, viewer: Viewer | null | undefined): SQL {
  const tenants = readableTenants(viewer);
  return tenants.length > 0 ? inArray(column, [...tenants]) : sql`false`;
}

/** The tenant an ADMIN manages: its own; naming another tenant is NOT_FOUND (no existence leak). */
export function adminTenant(v: Viewer | null | undefined, op: Operation, tenantId: string | null | undefined): string {
  const viewer = authorize(v, op);
  if (!viewer.tenantId) throw new AccessError('FORBIDDEN', 'Only a tenant ADMIN changes tenant settings');
  if (tenantId && tenantId !== viewer.tenantId) throw notFound('Tenant', ['tenantId']);
  return viewer.tenantId;
}

type Owned = PgTable & { id: AnyPgColumn; tenantId: AnyPgColumn };

/**
 * The one door for writes: lock a tenant-owned row for the rest of the transaction, after the
 * tenant check. A foreign id gives exactly the NOT_FOUND of a missing one (same message, same
 * field, same statement), so a write tells nothing about other tenants' ids.
 */
export async function lockOwned<T extends Owned>(
  tx: Tx,
  table: T,
  id: string,
  viewer: Viewer,
  what: string,
  field: string[],
): Promise<T['$inferSelect']> {
  const [row] = await tx
    .select()
    .from(table as PgTable)
    .where(and(eq(table.id, id), inReadableTenants(table.tenantId, viewer)))
    .for('update');
  if (!row) throw notFound(what, field);
  return row as T['$inferSelect'];
}
