// The notification outbox (SPEC.md section 6): the rows that tell a tenant's contacts about a
// change are written in the transaction of that change, from the activity entries it records
// (writeTransaction calls writeOutbox after flushing them). A change that rolls back leaves no
// notification; a committed one always has its notifications, whatever crashes afterwards; the
// delivery job (delivery.ts) sends them.
//
// Triggers, read off the activity entries:
//   managed response published                → MANAGED_RESPONSE_PUBLISHED (pending actions listed)
//   status → RESOLVED, not by the customer     → INCIDENT_RESOLVED_BY_EXPERTS (classification, summary)
//   action → FAILED                            → ACTION_FAILED
//   status → / from AWAITING_CUSTOMER_ACTION   → the incident's reminder schedule starts / stops
import { randomUUID } from 'node:crypto';
import { and, arrayContains, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import {
  actionCards,
  incidentReminders,
  incidents,
  managedResponses,
  notificationContacts,
  notifications,
  tenants,
  type ActivityRow,
  type IncidentRow,
} from '../../db/schema';
import { sectionOf } from '../sections';
import type { NoticePayload, NotificationKind } from './templates';

/** Could these entries cause a notification or a schedule change? (Cheap: no database work.) */
export function mayNotify(entries: readonly ActivityRow[]): boolean {
  return entries.some(
    (e) =>
      (e.field === 'managedResponse' && e.toValue === 'published') ||
      (e.field === 'action' && e.toValue === 'FAILED') ||
      (e.field === 'status' && (e.toValue === 'RESOLVED' || e.toValue === 'AWAITING_CUSTOMER_ACTION' || e.fromValue === 'AWAITING_CUSTOMER_ACTION')),
  );
}

/** The Message-ID of a notification: the same on every resend. */
export const messageIdFor = (id: string) => `<${id}@mdr-notifications>`;

export interface Recipients {
  tenantName: string;
  emails: { contactId: string | null; email: string }[];
  teams: boolean;
}

/** The tenant's active incident contacts and whether its Teams channel is set. */
export async function recipientsOf(tx: Tx, tenantId: string, purpose: 'INCIDENT_NOTIFICATION' | 'SERVICE_REVIEW' = 'INCIDENT_NOTIFICATION'): Promise<Recipients> {
  const [tenant] = await tx.select({ name: tenants.name, teams: tenants.teamsWebhookUrl }).from(tenants).where(eq(tenants.id, tenantId));
  const contacts = await tx
    .select({ contactId: notificationContacts.id, email: notificationContacts.email })
    .from(notificationContacts)
    .where(and(eq(notificationContacts.tenantId, tenantId), eq(notificationContacts.active, true), arrayContains(notificationContacts.purposes, [purpose])))
    .orderBy(asc(notificationContacts.createdAt), asc(notificationContacts.id));
  return { tenantName: tenant?.name ?? '', emails: contacts, teams: !!tenant?.teams };
}

/** Insert one notification per recipient and channel; returns the rows' ids. */
export async function enqueue(
  tx: Tx,
  n: { tenantId: string; incidentId: string | null; kind: NotificationKind; payload: NoticePayload; recipients: Recipients; dedupe?: string },
): Promise<string[]> {
  const rows = [
    ...n.recipients.emails.map((c) => ({ channel: 'EMAIL' as const, recipient: c.email, contactId: c.contactId })),
    ...(n.recipients.teams ? [{ channel: 'TEAMS' as const, recipient: 'Teams channel', contactId: null }] : []),
  ].map((r) => {
    const id = randomUUID();
    return {
      id,
      tenantId: n.tenantId,
      incidentId: n.incidentId,
      kind: n.kind,
      channel: r.channel,
      recipient: r.recipient,
      contactId: r.contactId,
      payload: n.payload as unknown as Record<string, unknown>,
      messageId: messageIdFor(id),
      dedupeKey: n.dedupe ? `${n.dedupe}:${r.channel}:${r.recipient.toLowerCase()}` : null,
    };
  });
  if (rows.length === 0) return [];
  const written = await tx.insert(notifications).values(rows).onConflictDoNothing().returning({ id: notifications.id });
  return written.map((w) => w.id);
}

/** What a notification about this incident says, as the transaction sees it now. */
export async function incidentPayload(tx: Tx, tenantName: string, incident: IncidentRow): Promise<NoticePayload> {
  const cards = await tx.select().from(actionCards).where(eq(actionCards.incidentId, incident.id)).orderBy(asc(actionCards.position));
  const [mr] = await tx.select({ narrative: managedResponses.narrative }).from(managedResponses).where(eq(managedResponses.incidentId, incident.id));
  return {
    tenant: { name: tenantName },
    incident: {
      id: incident.id,
      number: incident.number,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      classification: incident.classification,
      determination: incident.determination,
    },
    actions: cards
      .filter((c) => sectionOf(c) !== 'COMPLETED')
      .map((c) => ({ title: c.title, kind: c.kind, status: c.status, byExperts: sectionOf(c) === 'EXPERTS', reason: c.leftToCustomerReason })),
    summary: incident.resolvingComment ?? mr?.narrative ?? null,
  };
}

/**
 * Write the notifications and reminder schedule changes that these activity entries call for,
 * in their transaction. Returns how many notifications were queued.
 */
export async function writeOutbox(tx: Tx, entries: readonly ActivityRow[]): Promise<number> {
  if (!mayNotify(entries)) return 0;
  let queued = 0;
  const byIncident = new Map<string, ActivityRow[]>();
  // an ad-hoc action (no incident) is no incident news: no notice, no incident event
  for (const e of entries) if (e.incidentId) byIncident.set(e.incidentId, [...(byIncident.get(e.incidentId) ?? []), e]);

  for (const [incidentId, list] of byIncident) {
    if (!mayNotify(list)) continue;
    const [incident] = await tx.select().from(incidents).where(eq(incidents.id, incidentId));
    const tenantId = incident.tenantId;

    // the reminder schedule follows the status the transaction leaves behind
    const statusChanges = list.filter((e) => e.field === 'status');
    if (statusChanges.length) {
      if (incident.status === 'AWAITING_CUSTOMER_ACTION') {
        await tx
          .insert(incidentReminders)
          .values({ incidentId, tenantId })
          .onConflictDoNothing();
      } else {
        await tx.delete(incidentReminders).where(eq(incidentReminders.incidentId, incidentId));
      }
    }

    const published = list.some((e) => e.field === 'managedResponse' && e.toValue === 'published');
    // by the experts: an expert's own change, or the system finishing the experts' actions; not
    // the customer, nor the system finishing the customer's last pending action (from AWAITING)
    const resolvedByExperts = list.some(
      (e) => e.field === 'status' && e.toValue === 'RESOLVED' && (e.actorSide === 'EXPERTS' || (e.actorSide === null && e.fromValue !== 'AWAITING_CUSTOMER_ACTION')),
    );
    const failedCards = list.filter((e) => e.field === 'action' && e.toValue === 'FAILED' && e.subjectId).map((e) => e.subjectId!);
    if (!published && !resolvedByExperts && failedCards.length === 0) continue;

    const recipients = await recipientsOf(tx, tenantId);
    if (recipients.emails.length === 0 && !recipients.teams) continue;
    const base = await incidentPayload(tx, recipients.tenantName, incident);
    const send = async (kind: NotificationKind, payload: NoticePayload) => {
      queued += (await enqueue(tx, { tenantId, incidentId, kind, payload, recipients })).length;
    };
    if (published) await send('MANAGED_RESPONSE_PUBLISHED', base);
    if (resolvedByExperts && incident.status === 'RESOLVED') await send('INCIDENT_RESOLVED_BY_EXPERTS', base);
    if (failedCards.length) {
      const cards = await tx.select().from(actionCards).where(inArray(actionCards.id, failedCards));
      for (const card of cards) {
        await send('ACTION_FAILED', { ...base, action: { title: card.title, kind: card.kind, failureReason: card.failureReason } });
      }
    }
  }
  return queued;
}

/** Remove reminder schedules whose incident no longer awaits the customer (a safety net). */
export async function pruneReminders(tx: Tx, scope: readonly string[] | null): Promise<void> {
  await tx
    .delete(incidentReminders)
    .where(
      and(
        sql`exists (select 1 from ${incidents} i where i.id = ${incidentReminders.incidentId} and i.status <> 'AWAITING_CUSTOMER_ACTION')`,
        scope ? inArray(incidentReminders.tenantId, [...scope]) : undefined,
      ),
    );
}
