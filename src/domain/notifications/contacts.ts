// What a tenant ADMIN manages for notifications (SPEC.md section 6): the contacts who are told,
// the Teams channel, a test message; and what ADMINs and the serving experts read: the contacts
// and every notification with its delivery state.
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import {
  contactPurposeEnum,
  deliveryStatusEnum,
  notificationChannelEnum,
  notificationContacts,
  notificationKindEnum,
  notifications,
  principals,
  tenants,
  type NotificationContactRow,
  type NotificationRow,
  type TenantRow,
} from '../../db/schema';
import { parseTarget, TargetError } from '../../connectors/targets';
import { adminTenant, allowsField, authorize, inReadableTenants, lockOwned, type FieldOperation } from '../access';
import type { DomainContext } from '../context';
import { AccessError, DomainError, invalid } from '../errors';
import { buildPage, pageRequest, type Page, type PageArgs } from '../pagination';
import { LIMITS, optionalText, text } from '../validate';
import type { Viewer } from '../viewer';
import { enqueue, recipientsOf } from './outbox';
import type { NotificationKind } from './templates';

// the enums' values, as the database declares them
export const CONTACT_PURPOSES = contactPurposeEnum.enumValues;
export type ContactPurpose = (typeof CONTACT_PURPOSES)[number];
export const NOTIFICATION_KINDS = notificationKindEnum.enumValues;
export const DELIVERY_STATUSES = deliveryStatusEnum.enumValues;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const NOTIFICATION_CHANNELS = notificationChannelEnum.enumValues;

// An address a mail server accepts: local@domain.tld, no spaces, no display name, at most 254.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const PHONE = /^\+?[0-9][0-9 ()./-]{3,30}$/;

function email(value: string, field: string[]): string {
  const v = value.trim();
  if (v.length > 254 || !EMAIL.test(v) || v.includes('..')) throw invalid(`${field.join('.')} is not a valid email address: "${v.slice(0, 80)}"`, field);
  return v;
}

function phone(value: string | null | undefined, field: string[]): string | null {
  const v = optionalText(value, field, 40);
  if (v !== null && !PHONE.test(v)) throw invalid(`${field.join('.')} is not a phone number (digits, spaces, + ( ) . - /): "${v}"`, field);
  return v;
}

function purposes(values: readonly ContactPurpose[], field: string[]): ContactPurpose[] {
  const unique = [...new Set(values)];
  if (unique.length === 0) throw invalid(`${field.join('.')} must name at least one purpose`, field);
  return unique;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === '23505' || (err as { cause?: { code?: string } })?.cause?.code === '23505';
const duplicate = (address: string) => new DomainError('ALREADY_EXISTS', `A contact with the email ${address} already exists in this tenant`, ['email']);

/** Who reads this tenant's notification settings: the field policy, on a tenant the viewer reads. */
function readerOf(viewer: Viewer | null, op: FieldOperation, tenantId: string): boolean {
  return allowsField(viewer, op) && !!viewer?.tenantIds.includes(tenantId);
}

export async function listContacts(ctx: DomainContext, tenantId: string): Promise<NotificationContactRow[]> {
  if (!readerOf(ctx.viewer, 'Tenant.notificationContacts', tenantId)) throw new AccessError('FORBIDDEN', 'Only the tenant ADMIN and its experts read notification contacts');
  return ctx.db
    .select()
    .from(notificationContacts)
    .where(eq(notificationContacts.tenantId, tenantId))
    .orderBy(asc(notificationContacts.name), asc(notificationContacts.id));
}

/** Contacts and notifications by id (node/nodes): null unless the viewer may read them. */
export async function contactsById(ctx: DomainContext, ids: readonly string[]): Promise<(NotificationContactRow | null)[]> {
  if (!allowsField(ctx.viewer, 'Tenant.notificationContacts') || ids.length === 0) return ids.map(() => null);
  const rows = await ctx.db
    .select()
    .from(notificationContacts)
    .where(and(inArray(notificationContacts.id, [...ids]), inReadableTenants(notificationContacts.tenantId, ctx.viewer)));
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
}

export async function notificationsById(ctx: DomainContext, ids: readonly string[]): Promise<(NotificationRow | null)[]> {
  if (!allowsField(ctx.viewer, 'Tenant.notifications') || ids.length === 0) return ids.map(() => null);
  const rows = await ctx.db
    .select()
    .from(notifications)
    .where(and(inArray(notifications.id, [...ids]), inReadableTenants(notifications.tenantId, ctx.viewer)));
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
}

export async function createContact(
  ctx: DomainContext,
  input: { tenantId?: string | null; name: string; email: string; phone?: string | null; purposes: readonly ContactPurpose[] },
): Promise<NotificationContactRow> {
  const tenantId = adminTenant(ctx.viewer, 'createNotificationContact', input.tenantId);
  const values = {
    tenantId,
    name: text(input.name, ['name'], LIMITS.name),
    email: email(input.email, ['email']),
    phone: phone(input.phone, ['phone']),
    purposes: purposes(input.purposes, ['purposes']),
  };
  return ctx.database.transaction(async (tx) => {
    const [count] = await tx.select({ n: sql<number>`count(*)::int` }).from(notificationContacts).where(eq(notificationContacts.tenantId, tenantId));
    if (Number(count.n) >= 100) throw invalid('A tenant has at most 100 notification contacts', ['email']);
    const [existing] = await tx
      .select({ id: notificationContacts.id })
      .from(notificationContacts)
      .where(and(eq(notificationContacts.tenantId, tenantId), sql`lower(${notificationContacts.email}) = lower(${values.email})`));
    if (existing) throw duplicate(values.email);
    try {
      const [row] = await tx.insert(notificationContacts).values(values).returning();
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(values.email);
      throw err;
    }
  });
}

export async function updateContact(
  ctx: DomainContext,
  input: { contactId: string; name?: string | null; email?: string | null; phone?: string | null; purposes?: readonly ContactPurpose[] | null; active?: boolean | null },
): Promise<NotificationContactRow> {
  const viewer = authorize(ctx.viewer, 'updateNotificationContact');
  const set: Partial<NotificationContactRow> = { updatedAt: new Date() };
  if (input.name != null) set.name = text(input.name, ['name'], LIMITS.name);
  if (input.email != null) set.email = email(input.email, ['email']);
  if (input.phone !== undefined) set.phone = phone(input.phone, ['phone']);
  if (input.purposes != null) set.purposes = purposes(input.purposes, ['purposes']);
  if (input.active != null) set.active = input.active;
  return ctx.database.transaction(async (tx) => {
    const current = await lockOwned(tx, notificationContacts, input.contactId, viewer, 'Notification contact', ['contactId']);
    if (set.email && set.email.toLowerCase() !== current.email.toLowerCase()) {
      const [clash] = await tx
        .select({ id: notificationContacts.id })
        .from(notificationContacts)
        .where(and(eq(notificationContacts.tenantId, current.tenantId), sql`lower(${notificationContacts.email}) = lower(${set.email})`));
      if (clash) throw duplicate(set.email);
    }
    try {
      const [row] = await tx.update(notificationContacts).set(set).where(eq(notificationContacts.id, current.id)).returning();
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(set.email ?? current.email);
      throw err;
    }
  });
}

export async function deleteContact(ctx: DomainContext, input: { contactId: string }): Promise<string> {
  const viewer = authorize(ctx.viewer, 'deleteNotificationContact');
  return ctx.database.transaction(async (tx) => {
    const current = await lockOwned(tx, notificationContacts, input.contactId, viewer, 'Notification contact', ['contactId']);
    // notifications already sent keep their recipient address; only the link to the contact goes
    await tx.delete(notificationContacts).where(eq(notificationContacts.id, current.id));
    return current.id;
  });
}

export async function setTeamsWebhook(ctx: DomainContext, input: { tenantId?: string | null; url: string | null }): Promise<TenantRow> {
  const tenantId = adminTenant(ctx.viewer, 'setTeamsWebhook', input.tenantId);
  let url: string | null = null;
  if (input.url !== null && input.url.trim() !== '') {
    try {
      url = parseTarget(input.url, { allowPrivate: ctx.notifications?.allowPrivateTargets ?? false }).toString();
    } catch (err) {
      if (err instanceof TargetError) throw invalid(`url ${err.message}`, ['url']);
      throw err;
    }
  }
  const [row] = await ctx.db.update(tenants).set({ teamsWebhookUrl: url }).where(eq(tenants.id, tenantId)).returning();
  ctx.loaders.tenant.clear(row.id).prime(row.id, row);
  return row;
}

/** A TEST message on one channel: to every active contact (EMAIL) or to the Teams channel. */
export async function sendTestNotification(ctx: DomainContext, input: { tenantId?: string | null; channel: 'EMAIL' | 'TEAMS' }): Promise<NotificationRow[]> {
  const tenantId = adminTenant(ctx.viewer, 'sendTestNotification', input.tenantId);
  const viewer = ctx.viewer!;
  const ids = await ctx.database.transaction(async (tx) => {
    const incident = await recipientsOf(tx, tenantId, 'INCIDENT_NOTIFICATION');
    const review = await recipientsOf(tx, tenantId, 'SERVICE_REVIEW');
    const emails = [...incident.emails, ...review.emails.filter((r) => !incident.emails.some((e) => e.contactId === r.contactId))];
    if (input.channel === 'EMAIL' && emails.length === 0) {
      throw new DomainError('NOT_CONFIGURED', 'The tenant has no active notification contact to send a test email to', ['channel']);
    }
    if (input.channel === 'TEAMS' && !incident.teams) throw new DomainError('NOT_CONFIGURED', 'No Teams webhook is set: use setTeamsWebhook first', ['channel']);
    const [who] = await tx.select({ name: principals.name }).from(principals).where(eq(principals.id, viewer.principalId));
    return enqueue(tx, {
      tenantId,
      incidentId: null,
      kind: 'TEST',
      payload: { tenant: { name: incident.tenantName }, requestedBy: who?.name ?? 'an administrator' },
      recipients: { tenantName: incident.tenantName, emails: input.channel === 'EMAIL' ? emails : [], teams: input.channel === 'TEAMS' },
    });
  });
  ctx.notifications?.queued();
  const rows = await ctx.db.select().from(notifications).where(inArray(notifications.id, ids)).orderBy(asc(notifications.recipient));
  return rows;
}

export interface NotificationFilter {
  status?: readonly DeliveryStatus[] | null;
  kind?: readonly NotificationKind[] | null;
  channel?: readonly ('EMAIL' | 'TEAMS')[] | null;
  incidentId?: string | null;
}

/** A tenant's notifications, newest first (ADMIN and experts). */
export async function listNotifications(ctx: DomainContext, tenantId: string, filter: NotificationFilter | null | undefined, args: PageArgs): Promise<Page<NotificationRow>> {
  if (!readerOf(ctx.viewer, 'Tenant.notifications', tenantId)) throw new AccessError('FORBIDDEN', 'Only the tenant ADMIN and its experts read notifications');
  const req = pageRequest(args, ['date']);
  const conds: SQL[] = [eq(notifications.tenantId, tenantId)];
  if (filter?.status?.length) conds.push(inArray(notifications.status, [...filter.status]));
  if (filter?.kind?.length) conds.push(inArray(notifications.kind, [...filter.kind]));
  if (filter?.channel?.length) conds.push(inArray(notifications.channel, [...filter.channel]));
  if (filter?.incidentId) conds.push(eq(notifications.incidentId, filter.incidentId));
  const where = and(...conds);
  const pageConds = [...conds];
  if (req.cursor) {
    const [at, id] = req.cursor as [Date, string];
    pageConds.push(sql`(${notifications.createdAt}, ${notifications.id}) ${sql.raw(req.backward ? '>' : '<')} (${at.toISOString()}::timestamptz, ${id}::uuid)`);
  }
  const rows = await ctx.db
    .select()
    .from(notifications)
    .where(and(...pageConds))
    .orderBy(...(req.backward ? [notifications.createdAt, notifications.id] : [desc(notifications.createdAt), desc(notifications.id)]))
    .limit(req.limit + 1);
  let count: Promise<number> | undefined;
  return buildPage(rows, req, (r) => [r.createdAt], () =>
    (count ??= ctx.db.select({ n: sql<number>`count(*)::int` }).from(notifications).where(where).then((r) => Number(r[0].n))),
  );
}
