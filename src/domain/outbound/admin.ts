// What a tenant ADMIN manages for outbound integrations: webhook endpoints (the signing secret
// shown once, rotatable with a 24 h overlap), redelivery, and the ServiceNow / Sentinel sync
// connectors (credentials encrypted at rest, never returned); and what ADMINs and the serving
// experts read: endpoints, deliveries with their attempts, connectors, external tickets.
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import {
  deliveryAttempts,
  outboundDeliveries,
  syncConnectors,
  webhookEndpoints,
  type DeliveryAttemptRow,
  type ExternalTicketRow,
  type OutboundDeliveryRow,
  type SyncConnectorRow,
  type WebhookEndpointRow,
} from '../../db/schema';
import { parseTarget, TargetError } from '../../connectors/targets';
import { newWebhookSecret } from '../../connectors/webhook';
import { SERVICENOW_DEFAULTS } from '../../connectors/siem';
import { adminTenant, allowsField, authorize, inReadableTenants, lockOwned, type FieldOperation } from '../access';
import type { DomainContext } from '../context';
import { AccessError, DomainError, invalid } from '../errors';
import { buildPage, pageRequest, type Page, type PageArgs } from '../pagination';
import type { DeliveryStatus } from '../notifications/contacts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventEnum } from './events';
import type { Secrets } from '../secrets';

/** A rotated-out secret keeps signing (beside the new one) this long. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

function secretsOf(ctx: DomainContext): Secrets {
  if (!ctx.secrets) throw new Error('no secrets key in this context');
  return ctx.secrets;
}

function targetUrl(ctx: DomainContext, raw: string, field: string[]): string {
  try {
    return parseTarget(raw, { allowPrivate: ctx.notifications?.allowPrivateTargets ?? false }).toString();
  } catch (err) {
    if (err instanceof TargetError) throw invalid(`${field[field.length - 1]} ${err.message}`, field);
    throw err;
  }
}

function eventTypes(values: readonly WebhookEventEnum[]): string[] {
  const unique = [...new Set(values)];
  if (unique.length === 0) throw invalid('eventTypes must name at least one event type', ['eventTypes']);
  return unique.map((v) => WEBHOOK_EVENT_TYPES[v]);
}

function canRead(ctx: DomainContext, op: FieldOperation, tenantId: string): void {
  if (!allowsField(ctx.viewer, op) || !ctx.viewer?.tenantIds.includes(tenantId)) {
    throw new AccessError('FORBIDDEN', 'Only the tenant ADMIN and its experts read its integrations');
  }
}

// ---------------------------------------------------------------- webhook endpoints

export async function createWebhookEndpoint(
  ctx: DomainContext,
  input: { tenantId?: string | null; url: string; eventTypes: readonly WebhookEventEnum[] },
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const tenantId = adminTenant(ctx.viewer, 'createWebhookEndpoint', input.tenantId);
  const url = targetUrl(ctx, input.url, ['url']);
  const types = eventTypes(input.eventTypes);
  const secret = newWebhookSecret();
  const endpoint = await ctx.database.transaction(async (tx) => {
    const [{ n }] = await tx.select({ n: sql<number>`count(*)::int` }).from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId));
    if (Number(n) >= 20) throw invalid('A tenant has at most 20 webhook endpoints', ['url']);
    const [row] = await tx.insert(webhookEndpoints).values({ tenantId, url, eventTypes: types, secretEnc: secretsOf(ctx).encrypt(secret) }).returning();
    return row;
  });
  return { endpoint, secret };
}

export async function updateWebhookEndpoint(
  ctx: DomainContext,
  input: { endpointId: string; url?: string | null; eventTypes?: readonly WebhookEventEnum[] | null; active?: boolean | null },
): Promise<WebhookEndpointRow> {
  const viewer = authorize(ctx.viewer, 'updateWebhookEndpoint');
  const set: Partial<WebhookEndpointRow> = { updatedAt: new Date() };
  if (input.url != null) set.url = targetUrl(ctx, input.url, ['url']);
  if (input.eventTypes != null) set.eventTypes = eventTypes(input.eventTypes);
  if (input.active != null) {
    set.active = input.active;
    // re-enabling starts afresh: no failing period, no reason
    if (input.active) Object.assign(set, { disabledReason: null, failingSince: null });
    else set.disabledReason = 'Disabled by an administrator';
  }
  return ctx.database.transaction(async (tx) => {
    const current = await lockOwned(tx, webhookEndpoints, input.endpointId, viewer, 'Webhook endpoint', ['endpointId']);
    const [row] = await tx.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, current.id)).returning();
    return row;
  });
}

export async function rotateWebhookSecret(ctx: DomainContext, input: { endpointId: string }): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const viewer = authorize(ctx.viewer, 'rotateWebhookSecret');
  const secret = newWebhookSecret();
  const endpoint = await ctx.database.transaction(async (tx) => {
    const current = await lockOwned(tx, webhookEndpoints, input.endpointId, viewer, 'Webhook endpoint', ['endpointId']);
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        secretEnc: secretsOf(ctx).encrypt(secret),
        previousSecretEnc: current.secretEnc,
        previousSecretUntil: new Date(Date.now() + SECRET_OVERLAP_MS),
        updatedAt: new Date(),
      })
      .where(eq(webhookEndpoints.id, current.id))
      .returning();
    return row;
  });
  return { endpoint, secret };
}

export async function deleteWebhookEndpoint(ctx: DomainContext, input: { endpointId: string }): Promise<string> {
  const viewer = authorize(ctx.viewer, 'deleteWebhookEndpoint');
  return ctx.database.transaction(async (tx) => {
    const current = await lockOwned(tx, webhookEndpoints, input.endpointId, viewer, 'Webhook endpoint', ['endpointId']);
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, current.id)); // its deliveries go with it
    return current.id;
  });
}

/** Send one delivery again (same webhook-id: the receiver can tell it is the same event); a sync call likewise. */
export async function redeliverWebhook(ctx: DomainContext, input: { deliveryId: string }): Promise<OutboundDeliveryRow> {
  const viewer = authorize(ctx.viewer, 'redeliverWebhook');
  const row = await ctx.database.transaction(async (tx) => {
    const current = await lockOwned(tx, outboundDeliveries, input.deliveryId, viewer, 'Webhook delivery', ['deliveryId']);
    if (current.status === 'SENDING') throw new DomainError('ALREADY_IN_PROGRESS', 'This delivery is being sent right now', ['deliveryId']);
    const [ep] = current.endpointId ? await tx.select({ active: webhookEndpoints.active }).from(webhookEndpoints).where(eq(webhookEndpoints.id, current.endpointId)) : [];
    if (ep && !ep.active) throw new DomainError('INVALID_TRANSITION', 'The endpoint is disabled: enable it (updateWebhookEndpoint active: true) first', ['deliveryId']);
    const [c] = current.connectorId ? await tx.select({ active: syncConnectors.active }).from(syncConnectors).where(eq(syncConnectors.id, current.connectorId)) : [];
    if (c && !c.active) throw new DomainError('INVALID_TRANSITION', 'The connector is paused: configure it with active: true first', ['deliveryId']);
    const [updated] = await tx
      .update(outboundDeliveries)
      .set({ status: 'QUEUED', nextAttemptAt: new Date(), lastError: null, claimedBy: null, leaseUntil: null })
      .where(eq(outboundDeliveries.id, current.id))
      .returning();
    return updated;
  });
  ctx.outboundQueued?.();
  return row;
}

export async function listEndpoints(ctx: DomainContext, tenantId: string): Promise<WebhookEndpointRow[]> {
  canRead(ctx, 'Tenant.webhookEndpoints', tenantId);
  return ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId)).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}

export async function endpointsById(ctx: DomainContext, ids: readonly string[]): Promise<(WebhookEndpointRow | null)[]> {
  if (!allowsField(ctx.viewer, 'Tenant.webhookEndpoints') || ids.length === 0) return ids.map(() => null);
  const rows = await ctx.db.select().from(webhookEndpoints).where(and(inArray(webhookEndpoints.id, [...ids]), inReadableTenants(webhookEndpoints.tenantId, ctx.viewer)));
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
}

/** Deliveries by id: webhook calls and sync calls, for the roles that read those logs. */
export async function deliveriesById(ctx: DomainContext, ids: readonly string[]): Promise<(OutboundDeliveryRow | null)[]> {
  if (!allowsField(ctx.viewer, 'Tenant.webhookEndpoints') || ids.length === 0) return ids.map(() => null);
  const rows = await ctx.db
    .select()
    .from(outboundDeliveries)
    .where(and(inArray(outboundDeliveries.id, [...ids]), inReadableTenants(outboundDeliveries.tenantId, ctx.viewer)));
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
}

/** An endpoint's deliveries (or a connector's sync calls), newest first. */
export async function listDeliveries(
  ctx: DomainContext,
  of: { endpoint: WebhookEndpointRow } | { connector: SyncConnectorRow },
  filter: { status?: readonly DeliveryStatus[] | null; eventType?: readonly WebhookEventEnum[] | null } | null | undefined,
  args: PageArgs,
): Promise<Page<OutboundDeliveryRow>> {
  const owner = 'endpoint' in of ? of.endpoint : of.connector;
  canRead(ctx, 'endpoint' in of ? 'Tenant.webhookEndpoints' : 'Tenant.syncConnectors', owner.tenantId);
  const req = pageRequest(args, ['date']);
  const conds: SQL[] = ['endpoint' in of ? eq(outboundDeliveries.endpointId, owner.id) : eq(outboundDeliveries.connectorId, owner.id)];
  if (filter?.status?.length) conds.push(inArray(outboundDeliveries.status, [...filter.status]));
  if (filter?.eventType?.length) conds.push(inArray(outboundDeliveries.eventType, filter.eventType.map((e) => WEBHOOK_EVENT_TYPES[e])));
  const where = and(...conds);
  const pageConds = [...conds];
  if (req.cursor) {
    const [at, id] = req.cursor as [Date, string];
    pageConds.push(sql`(${outboundDeliveries.createdAt}, ${outboundDeliveries.id}) ${sql.raw(req.backward ? '>' : '<')} (${at.toISOString()}::timestamptz, ${id}::uuid)`);
  }
  const rows = await ctx.db
    .select()
    .from(outboundDeliveries)
    .where(and(...pageConds))
    .orderBy(...(req.backward ? [outboundDeliveries.createdAt, outboundDeliveries.id] : [desc(outboundDeliveries.createdAt), desc(outboundDeliveries.id)]))
    .limit(req.limit + 1);
  let count: Promise<number> | undefined;
  return buildPage(rows, req, (r) => [r.createdAt], () =>
    (count ??= ctx.db.select({ n: sql<number>`count(*)::int` }).from(outboundDeliveries).where(where).then((r) => Number(r[0].n))),
  );
}

export async function attemptsOfDelivery(ctx: DomainContext, delivery: OutboundDeliveryRow): Promise<DeliveryAttemptRow[]> {
  return ctx.db.select().from(deliveryAttempts).where(eq(deliveryAttempts.deliveryId, delivery.id)).orderBy(asc(deliveryAttempts.id));
}

// ---------------------------------------------------------------- sync connectors

export type ConnectorCredentials = { username?: string | null; password?: string | null; token?: string | null };

export async function configureSyncConnector(
  ctx: DomainContext,
  input: {
    tenantId?: string | null;
    system: 'SERVICENOW' | 'SENTINEL';
    baseUrl: string;
    credentials?: ConnectorCredentials | null;
    mapping?: Record<string, Record<string, string>> | null;
    active: boolean;
  },
): Promise<SyncConnectorRow> {
  const tenantId = adminTenant(ctx.viewer, 'configureSyncConnector', input.tenantId);
  const baseUrl = targetUrl(ctx, input.baseUrl, ['baseUrl']).replace(/\/+$/, '');
  let credentials: string | null = null;
  if (input.credentials) {
    const c = input.credentials;
    if (c.token && (c.username || c.password)) throw invalid('credentials: give a token, or a username and password, not both', ['credentials']);
    if (c.token) credentials = JSON.stringify({ token: c.token });
    else if (c.username && c.password) {
      if (input.system === 'SENTINEL') throw invalid('credentials: Sentinel takes a bearer token', ['credentials', 'token']);
      credentials = JSON.stringify({ username: c.username, password: c.password });
    } else throw invalid('credentials: a token, or a username and a password', ['credentials']);
  }
  const mapping = input.mapping ?? {};
  for (const [key, values] of Object.entries(mapping)) {
    if (input.system !== 'SERVICENOW' || !(key in SERVICENOW_DEFAULTS)) throw invalid(`mapping.${key} is not a mapping this connector has (ServiceNow: ${Object.keys(SERVICENOW_DEFAULTS).join(', ')})`, ['mapping', key]);
    const known = Object.keys(SERVICENOW_DEFAULTS[key as keyof typeof SERVICENOW_DEFAULTS]);
    for (const [from, to] of Object.entries(values ?? {})) {
      if (!known.includes(from)) throw invalid(`mapping.${key}.${from}: unknown value (one of ${known.join(', ')})`, ['mapping', key, from]);
      if (typeof to !== 'string' || to.length === 0 || to.length > 100) throw invalid(`mapping.${key}.${from} must be a short text`, ['mapping', key, from]);
    }
  }
  return ctx.database.transaction(async (tx) => {
    const [existing] = await tx.select().from(syncConnectors).where(and(eq(syncConnectors.tenantId, tenantId), eq(syncConnectors.system, input.system))).for('update');
    if (!existing && !credentials) throw invalid('credentials are required for a new connector', ['credentials']);
    const values = {
      baseUrl,
      mapping,
      active: input.active,
      updatedAt: new Date(),
      ...(credentials ? { credentialsEnc: secretsOf(ctx).encrypt(credentials) } : {}),
      // new credentials or another address: the last error was about the old ones
      ...(credentials || (existing && existing.baseUrl !== baseUrl) ? { lastError: null } : {}),
    };
    if (existing) {
      const [row] = await tx.update(syncConnectors).set(values).where(eq(syncConnectors.id, existing.id)).returning();
      return row;
    }
    const [row] = await tx
      .insert(syncConnectors)
      .values({ tenantId, system: input.system, ...values, credentialsEnc: secretsOf(ctx).encrypt(credentials!) })
      .returning();
    return row;
  });
}

export async function listConnectors(ctx: DomainContext, tenantId: string): Promise<SyncConnectorRow[]> {
  canRead(ctx, 'Tenant.syncConnectors', tenantId);
  return ctx.db.select().from(syncConnectors).where(eq(syncConnectors.tenantId, tenantId)).orderBy(asc(syncConnectors.system));
}

export async function connectorsById(ctx: DomainContext, ids: readonly string[]): Promise<(SyncConnectorRow | null)[]> {
  if (!allowsField(ctx.viewer, 'Tenant.syncConnectors') || ids.length === 0) return ids.map(() => null);
  const rows = await ctx.db.select().from(syncConnectors).where(and(inArray(syncConnectors.id, [...ids]), inReadableTenants(syncConnectors.tenantId, ctx.viewer)));
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
}

/** The incident's tickets in external systems (everyone who reads the incident), batched per page. */
export function ticketsOf(ctx: DomainContext, incidentId: string): Promise<ExternalTicketRow[]> {
  return ctx.loaders.ticketsByIncident.load(incidentId);
}
