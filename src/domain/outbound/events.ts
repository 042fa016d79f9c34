// Outbound events (SPEC.md section 6): what a committed change means to the customer's own tools.
// The outbox (planOutbound) turns a write's activity entries into webhook deliveries for the
// tenant's active endpoints subscribed to each event type, and into sync calls for its active
// ServiceNow / Sentinel connectors, in the write's own transaction. Each event carries the id of
// the activity entry it comes from: the commit order that delivery keeps per incident.
import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import {
  actionCards,
  chatMessages,
  incidents,
  investigationUpdates,
  managedResponses,
  outboundDeliveries,
  principals,
  syncConnectors,
  webhookEndpoints,
  type ActivityRow,
  type IncidentRow,
} from '../../db/schema';
import { encodeGlobalId } from '../ids';

/** Wire names, and the GraphQL enum value of each. */
export const WEBHOOK_EVENT_TYPES = {
  INCIDENT_CREATED: 'incident.created',
  INCIDENT_UPDATED: 'incident.updated',
  INCIDENT_RESOLVED: 'incident.resolved',
  MANAGED_RESPONSE_PUBLISHED: 'managed_response.published',
  ACTION_UPDATED: 'action.updated',
  CHAT_MESSAGE_ADDED: 'chat.message_added',
  INVESTIGATION_UPDATE_POSTED: 'investigation.update_posted',
} as const;
export type WebhookEventEnum = keyof typeof WEBHOOK_EVENT_TYPES;
export type WireEventType = (typeof WEBHOOK_EVENT_TYPES)[WebhookEventEnum];
export const wireName = (e: WebhookEventEnum): WireEventType => WEBHOOK_EVENT_TYPES[e];
export const enumName = (w: string): WebhookEventEnum =>
  (Object.entries(WEBHOOK_EVENT_TYPES).find(([, v]) => v === w)?.[0] ?? 'INCIDENT_UPDATED') as WebhookEventEnum;

/** Entries that are not about the incident's own fields. */
const NOT_INCIDENT_FIELDS = new Set(['action', 'chat', 'managedResponse', 'comment', 'investigationUpdate']);

export interface OutboundEvent {
  type: WireEventType;
  eventId: number;
  incidentId: string;
  tenantId: string;
  /** Extra data beside the incident snapshot (the card, the message, the changes). */
  data: Record<string, unknown>;
}

/** The incident as every outbound payload shows it. */
export function incidentSnapshot(i: IncidentRow) {
  return {
    id: encodeGlobalId('Incident', i.id),
    number: i.number,
    externalId: i.externalId,
    title: i.title,
    severity: i.severity,
    status: i.status,
    assignment: i.assignment,
    classification: i.classification,
    determination: i.determination,
    tags: i.customTags,
    systemTags: i.systemTags,
    resolvingComment: i.resolvingComment,
    version: i.version,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

/** The events a write's activity entries make, per incident, in entry (= commit) order. */
export async function eventsOf(tx: Tx, entries: readonly ActivityRow[]): Promise<OutboundEvent[]> {
  const out: OutboundEvent[] = [];
  const byIncident = new Map<string, ActivityRow[]>();
  // an ad-hoc action (no incident) is no incident news: no notice, no incident event
  for (const e of entries) if (e.incidentId) byIncident.set(e.incidentId, [...(byIncident.get(e.incidentId) ?? []), e]);
  for (const [incidentId, list] of byIncident) {
    const tenantId = list[0].tenantId;
    const fieldChanges = list.filter((e) => !NOT_INCIDENT_FIELDS.has(e.field));
    const created = list.find((e) => e.field === 'status' && e.fromValue === null && e.toValue === 'ACTIVE');
    const changes = fieldChanges.map((e) => ({ field: e.field, from: e.fromValue, to: e.toValue }));
    if (created) out.push({ type: 'incident.created', eventId: created.id, incidentId, tenantId, data: {} });
    else if (fieldChanges.length) out.push({ type: 'incident.updated', eventId: fieldChanges[0].id, incidentId, tenantId, data: { changes } });
    const resolved = list.find((e) => e.field === 'status' && e.toValue === 'RESOLVED');
    if (resolved) out.push({ type: 'incident.resolved', eventId: resolved.id, incidentId, tenantId, data: { changes } });
    const published = list.find((e) => e.field === 'managedResponse' && e.toValue === 'published');
    if (published) {
      const [mr] = await tx.select().from(managedResponses).where(eq(managedResponses.incidentId, incidentId));
      out.push({
        type: 'managed_response.published',
        eventId: published.id,
        incidentId,
        tenantId,
        data: { managedResponse: mr ? { narrative: mr.narrative, impact: mr.impact, publishedAt: mr.publishedAt.toISOString() } : null },
      });
    }
    const cardEntries = list.filter((e) => e.field === 'action' && e.subjectId);
    if (cardEntries.length) {
      const cards = await tx.select().from(actionCards).where(inArray(actionCards.id, [...new Set(cardEntries.map((e) => e.subjectId!))]));
      for (const e of cardEntries) {
        const c = cards.find((x) => x.id === e.subjectId);
        if (!c) continue;
        out.push({
          type: 'action.updated',
          eventId: e.id,
          incidentId,
          tenantId,
          data: {
            action: { id: encodeGlobalId('ActionCard', c.id), kind: c.kind, title: c.title, status: e.toValue, failureReason: c.failureReason, performedBy: c.performedBy },
            change: { from: e.fromValue, to: e.toValue },
          },
        });
      }
    }
    const chat = list.filter((e) => e.field === 'chat' && e.subjectId);
    if (chat.length) {
      const messages = await tx.select().from(chatMessages).where(inArray(chatMessages.id, chat.map((e) => e.subjectId!)));
      for (const e of chat) {
        const m = messages.find((x) => x.id === e.subjectId);
        if (!m) continue;
        out.push({
          type: 'chat.message_added',
          eventId: e.id,
          incidentId,
          tenantId,
          data: { message: { id: encodeGlobalId('ChatMessage', m.id), side: m.side, body: m.body, createdAt: m.createdAt.toISOString() } },
        });
      }
    }
    const updates = list.filter((e) => e.field === 'investigationUpdate' && e.subjectId);
    if (updates.length) {
      const rows = await tx.select().from(investigationUpdates).where(inArray(investigationUpdates.id, updates.map((e) => e.subjectId!)));
      const authors = rows.length ? await tx.select({ id: principals.id, name: principals.name }).from(principals).where(inArray(principals.id, [...new Set(rows.map((u) => u.authorId))])) : [];
      for (const e of updates) {
        const u = rows.find((x) => x.id === e.subjectId);
        if (!u) continue;
        const author = authors.find((p) => p.id === u.authorId);
        out.push({
          type: 'investigation.update_posted',
          eventId: e.id,
          incidentId,
          tenantId,
          data: {
            update: {
              id: encodeGlobalId('InvestigationUpdate', u.id),
              body: u.body,
              // the expert's id and name, never the email: the receiver is outside the service
              author: { id: encodeGlobalId('Principal', u.authorId), name: author?.name ?? null, side: 'EXPERTS' },
              createdAt: u.createdAt.toISOString(),
            },
          },
        });
      }
    }
  }
  return out;
}

/** The Standard Webhooks body of one event. */
export function webhookBody(ev: OutboundEvent, incident: IncidentRow, at: Date) {
  return {
    type: ev.type,
    timestamp: at.toISOString(),
    data: {
      tenantId: encodeGlobalId('Tenant', ev.tenantId),
      incidentId: encodeGlobalId('Incident', ev.incidentId),
      eventId: String(ev.eventId),
      incident: incidentSnapshot(incident),
      ...ev.data,
    },
  };
}

/**
 * The outbox of outbound events: one delivery per active endpoint subscribed to the event, and
 * one sync call per active connector and incident (the connector sends the incident's state and
 * notes, so one call per write is enough). Planned from a write's entries before they are
 * written (ActivityLog.preview: ids -1, -2, … in entry order): the lookups run here; the returned
 * function inserts the deliveries once the entries' real ids are known (they are in the bodies),
 * and returns how many were queued.
 */
export async function planOutbound(
  tx: Tx,
  entries: readonly ActivityRow[],
  /** Whether the entries' tenants have any active endpoint / connector, when the caller knows (writeOutboxes asks in its first statement). */
  present: { endpoints: boolean; connectors: boolean } = { endpoints: true, connectors: true },
): Promise<(tx: Tx, written: readonly ActivityRow[]) => Promise<number>> {
  const none = async () => 0;
  if (!present.endpoints && !present.connectors) return none;
  const tenantIds = [...new Set(entries.map((e) => e.tenantId))];
  const [endpoints, connectors] = await Promise.all([
    present.endpoints
      ? tx.select().from(webhookEndpoints).where(and(inArray(webhookEndpoints.tenantId, tenantIds), eq(webhookEndpoints.active, true)))
      : [],
    present.connectors
      ? tx.select().from(syncConnectors).where(and(inArray(syncConnectors.tenantId, tenantIds), eq(syncConnectors.active, true)))
      : [],
  ]);
  if (endpoints.length === 0 && connectors.length === 0) return none;
  const planned = await eventsOf(tx, entries);
  if (planned.length === 0) return none;
  const ids = [...new Set(planned.map((e) => e.incidentId))];
  const rows = await tx.select().from(incidents).where(inArray(incidents.id, ids));
  return async (wtx, written) => {
    // a placeholder -n stands for the n-th entry
    const events = planned.map((ev) => ({ ...ev, eventId: ev.eventId < 0 ? written[-ev.eventId - 1].id : ev.eventId }));
    const values = outboundRows(events, rows, endpoints, connectors, ids);
    if (values.length) await wtx.insert(outboundDeliveries).values(values);
    return values.length;
  };
}

function outboundRows(
  events: OutboundEvent[],
  rows: IncidentRow[],
  endpoints: (typeof webhookEndpoints.$inferSelect)[],
  connectors: (typeof syncConnectors.$inferSelect)[],
  ids: string[],
): (typeof outboundDeliveries.$inferInsert)[] {
  const now = new Date();
  const values: (typeof outboundDeliveries.$inferInsert)[] = [];
  for (const ev of events) {
    const incident = rows.find((r) => r.id === ev.incidentId)!;
    for (const ep of endpoints) {
      if (ep.tenantId !== ev.tenantId || !ep.eventTypes.includes(ev.type)) continue;
      const id = randomUUID();
      values.push({
        id,
        tenantId: ev.tenantId,
        target: 'WEBHOOK',
        endpointId: ep.id,
        incidentId: ev.incidentId,
        eventType: ev.type,
        eventId: ev.eventId,
        messageId: `msg_${id.replaceAll('-', '')}`,
        payload: webhookBody(ev, incident, now),
      });
    }
  }
  // sync: one call per connector and incident, carrying the notes of this write's events
  for (const c of connectors) {
    for (const incidentId of ids) {
      const mine = events.filter((e) => e.incidentId === incidentId && e.tenantId === c.tenantId && e.type !== 'chat.message_added');
      if (!mine.length) continue;
      const incident = rows.find((r) => r.id === incidentId)!;
      const id = randomUUID();
      values.push({
        id,
        tenantId: c.tenantId,
        target: c.system,
        connectorId: c.id,
        incidentId,
        eventType: mine[mine.length - 1].type,
        eventId: mine[0].eventId,
        messageId: `sync_${id.replaceAll('-', '')}`,
        payload: { incident: incidentSnapshot(incident), events: mine.map((e) => ({ type: e.type, ...e.data })) },
      });
    }
  }
  return values;
}
