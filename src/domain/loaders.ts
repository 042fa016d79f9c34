// Request-scoped DataLoaders. Every loader filters on the tenants the viewer may read, so a
// foreign id resolves exactly like an id that never existed (null / empty), whatever path asks.
import DataLoader from 'dataloader';
import { and, asc, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import {
  externalTickets,
  accounts,
  emailMessages,
  indicators,
  type AccountRow,
  type EmailMessageRow,
  type IndicatorRow,
  type ExternalTicketRow,
  actionAttempts,
  actionCards,
  chatMessages,
  managedResponses,
  alerts,
  comments,
  deviceFiles,
  devices,
  evidence,
  expertTenants,
  incidents,
  principals,
  tenants,
  type ActionAttemptRow,
  type ActionCardRow,
  type ChatMessageRow,
  type ManagedResponseRow,
  type AlertRow,
  type DeviceFileRow,
  type DeviceRow,
  type EvidenceRow,
  type IncidentRow,
  type PrincipalRow,
  type TenantRow,
} from '../db/schema';
import { UUID } from './pagination';
import { inReadableTenants, readableTenants } from './access';
import type { Viewer } from './viewer';
import { investigationRevisions, investigationUpdates, type InvestigationRevisionRow, type InvestigationUpdateRow } from '../db/schema';
import { suppressionRules, type SuppressionRuleRow } from '../db/schema';
import { allows } from './access';
import { savedViews, type SavedViewRow } from '../db/schema';
import type { IncidentSlaRow } from '../db/schema';
import { slaRowsOf } from './sla';
import { activity, type ActivityRow, type CommentRow } from '../db/schema';

function byId<T extends { id: string }>(rows: T[], ids: readonly string[]): (T | null)[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id) ?? null);
}

function groupBy<T>(rows: T[], key: (r: T) => string, ids: readonly string[]): T[][] {
  const map = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let list = map.get(k);
    if (!list) map.set(k, (list = []));
    list.push(r);
  }
  return ids.map((id) => map.get(id) ?? []);
}

/** A principal the viewer reaches only through a reference: who it is, nothing more. */
function minimalPrincipal(row: PrincipalRow): PrincipalRow {
  return { ...row, email: null, tenantId: null };
}

/** Malformed ids can never match a row; dropping them keeps a bad id from becoming a SQL error. */
const validIds = (ids: readonly string[]) => ids.filter((id) => UUID.test(id));

/** The saved views a viewer sees: its own, and the shared ones of its tenant (customers only have one). */
export function savedViewVisibleTo(viewer: Viewer): SQL {
  const own = eq(savedViews.ownerId, viewer.principalId);
  return viewer.tenantId ? or(own, and(eq(savedViews.shared, true), eq(savedViews.tenantId, viewer.tenantId)))! : own;
}

/** Views by id for node/nodes and the queue (the `savedView` loader): null unless the viewer sees it. */
async function savedViewsById(db: Db, viewer: Viewer | null, ids: readonly string[]): Promise<(SavedViewRow | null)[]> {
  const valid = validIds(ids);
  if (!viewer || !allows(viewer, 'savedViews') || valid.length === 0) return ids.map(() => null);
  const rows = await db
    .select()
    .from(savedViews)
    .where(and(inArray(savedViews.id, valid), savedViewVisibleTo(viewer)));
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
}

// The queue's nested lists, built once per database handle as prepared statements with the ids
// as array parameters: the same SQL text every time, no query building per request.
function buildPrepared(db: Db) {
  return {
    alerts: db
      .select()
      .from(alerts)
      .where(
        and(
          sql`${alerts.incidentId} = any(${sql.placeholder('ids')}::uuid[])`,
          sql`${alerts.tenantId} = any(${sql.placeholder('tenants')}::uuid[])`,
        ),
      )
      .orderBy(asc(alerts.createdAt), asc(alerts.id))
      .prepare('alerts_by_incident'),
    devices: db
      .selectDistinctOn([evidence.incidentId, devices.name, devices.id], { incidentId: evidence.incidentId, device: devices })
      .from(evidence)
      .innerJoin(devices, eq(devices.id, evidence.deviceId))
      .where(
        and(
          sql`${evidence.incidentId} = any(${sql.placeholder('ids')}::uuid[])`,
          sql`${evidence.tenantId} = any(${sql.placeholder('tenants')}::uuid[])`,
        ),
      )
      .orderBy(evidence.incidentId, devices.name, devices.id)
      .prepare('devices_by_incident'),
  };
}
const preparedCache = new WeakMap<Db, ReturnType<typeof buildPrepared>>();
function preparedFor(db: Db) {
  let p = preparedCache.get(db);
  if (!p) preparedCache.set(db, (p = buildPrepared(db)));
  return p;
}

export function createLoaders(db: Db, viewer: Viewer | null) {
  // the one tenant scope of every loader (access.ts): rows of other tenants load as null
  const tenantIds = [...readableTenants(viewer)];
  const none = <T>(ids: readonly string[]) => Promise.resolve(ids.map(() => null as T | null));
  const scoped = tenantIds.length > 0;

  const incident = new DataLoader<string, IncidentRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0) return none<IncidentRow>(ids);
    const rows = await db
      .select()
      .from(incidents)
      .where(and(inArray(incidents.id, valid), inArray(incidents.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  const tenant = new DataLoader<string, TenantRow | null>(async (ids) => {
    const valid = validIds(ids).filter((id) => tenantIds.includes(id));
    if (valid.length === 0) return none<TenantRow>(ids);
    return byId(await db.select().from(tenants).where(inArray(tenants.id, valid)), ids);
  });

  // Principals. Who may see whom (README "Roles"): a customer sees the principals of its tenant
  // and the experts serving it; an expert sees every expert and the principals of the tenants it
  // serves. `visiblePrincipal` (node, nodes) answers exactly that, and null for anyone else,
  // just like an id that never existed. `principal` is for references from rows the viewer may
  // read (assignee, comment and chat authors, activity actors, publishedBy, performedBy): such a
  // reference stays readable when its principal is no longer visible (an expert who has stopped
  // serving the tenant still wrote its old chat messages), as a minimal principal: id, name,
  // role and side, no email and no tenant.
  const principalEntry = new DataLoader<string, { row: PrincipalRow; visible: boolean } | null>(async (ids) => {
    const valid = validIds(ids);
    // (not `scoped`: an expert serving no tenant still sees itself and the other experts)
    if (!viewer || valid.length === 0) return none<{ row: PrincipalRow; visible: boolean }>(ids);
    const servesViewerTenant = viewer.tenantId
      ? sql<boolean>`exists (select 1 from ${expertTenants} where ${expertTenants.principalId} = ${principals.id} and ${expertTenants.tenantId} = ${viewer.tenantId})`
      : sql<boolean>`false`;
    const rows = await db
      .select({ row: principals, serves: servesViewerTenant })
      .from(principals)
      // what a reference from a readable row can name: the readable tenants' principals, experts
      .where(and(inArray(principals.id, valid), or(isNull(principals.tenantId), inReadableTenants(principals.tenantId, viewer))));
    const map = new Map(
      rows.map(({ row, serves }) => {
        const visible =
          row.id === viewer.principalId ||
          (viewer.tenantId
            ? row.tenantId === viewer.tenantId || (row.tenantId === null && !!serves)
            : row.tenantId === null || tenantIds.includes(row.tenantId));
        return [row.id, { row, visible }];
      }),
    );
    return ids.map((id) => map.get(id) ?? null);
  });

  const visiblePrincipal = new DataLoader<string, PrincipalRow | null>(async (ids) => {
    const entries = await principalEntry.loadMany(ids);
    return entries.map((e) => (e instanceof Error ? e : e?.visible ? e.row : null));
  });

  const principal = new DataLoader<string, PrincipalRow | null>(async (ids) => {
    const entries = await principalEntry.loadMany(ids);
    return entries.map((e) => (e instanceof Error ? e : !e ? null : e.visible ? e.row : minimalPrincipal(e.row)));
  });

  const alertsByIncident = new DataLoader<string, AlertRow[]>(async (incidentIds) => {
    const rows = await preparedFor(db).alerts.execute({ ids: validIds(incidentIds), tenants: tenantIds });
    return groupBy(rows, (r) => r.incidentId, incidentIds);
  });

  const alert = new DataLoader<string, AlertRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0) return none<AlertRow>(ids);
    const rows = await db
      .select()
      .from(alerts)
      .where(and(inArray(alerts.id, valid), inArray(alerts.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  const evidenceByAlert = new DataLoader<string, EvidenceRow[]>(async (alertIds) => {
    const rows = await db
      .select()
      .from(evidence)
      .where(and(inArray(evidence.alertId, [...alertIds]), inArray(evidence.tenantId, tenantIds)))
      .orderBy(asc(evidence.alertId), asc(evidence.position), asc(evidence.id));
    return groupBy(rows, (r) => r.alertId, alertIds);
  });

  const device = new DataLoader<string, DeviceRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0) return none<DeviceRow>(ids);
    const rows = await db
      .select()
      .from(devices)
      .where(and(inArray(devices.id, valid), inArray(devices.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  // Impacted devices of an incident: every device named by its evidence (device or file).
  const devicesByIncident = new DataLoader<string, DeviceRow[]>(async (incidentIds) => {
    const rows = await preparedFor(db).devices.execute({ ids: validIds(incidentIds), tenants: tenantIds });
    return groupBy(rows, (r) => r.incidentId, incidentIds).map((list) => list.map((r) => r.device));
  });

  const file = new DataLoader<string, DeviceFileRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0) return none<DeviceFileRow>(ids);
    const rows = await db
      .select()
      .from(deviceFiles)
      .where(and(inArray(deviceFiles.id, valid), inArray(deviceFiles.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  // the rest of the built-in estate: accounts, mailbox messages, indicators (tenant inventory)
  const estate = <R extends { id: string; tenantId: string }>(table: typeof accounts | typeof emailMessages | typeof indicators) =>
    new DataLoader<string, R | null>(async (ids) => {
      const valid = validIds(ids);
      if (!scoped || valid.length === 0) return none<R>(ids);
      const rows = (await db
        .select()
        .from(table)
        .where(and(inArray(table.id, valid), inArray(table.tenantId, tenantIds)))) as unknown as R[];
      return byId(rows, ids);
    });
  const account = estate<AccountRow>(accounts);
  const emailMessage = estate<EmailMessageRow>(emailMessages);
  const indicator = estate<IndicatorRow>(indicators);
  /** An account by "tenantId|lower-case UPN" (the mailbox owner of an email message). */
  const accountByUpn = new DataLoader<string, AccountRow | null>(async (keys) => {
    const pairs = keys.map((k) => k.split('|') as [string, string]).filter(([t]) => tenantIds.includes(t));
    if (!scoped || pairs.length === 0) return keys.map(() => null);
    const rows = await db
      .select()
      .from(accounts)
      .where(and(inArray(accounts.tenantId, [...new Set(pairs.map(([t]) => t))]), inArray(sql`lower(${accounts.upn})`, pairs.map(([, u]) => u))));
    const map = new Map(rows.map((r) => [`${r.tenantId}|${r.upn!.toLowerCase()}`, r]));
    return keys.map((k) => map.get(k) ?? null);
  });
  // an incident's accounts and email messages: those its evidence names
  const estateByIncident = <R>(column: typeof evidence.accountId | typeof evidence.emailMessageId, table: typeof accounts | typeof emailMessages) =>
    new DataLoader<string, R[]>(async (incidentIds) => {
      const valid = validIds(incidentIds);
      if (!scoped || valid.length === 0) return incidentIds.map(() => []);
      const rows = await db
        .selectDistinct({ incidentId: evidence.incidentId, row: table })
        .from(evidence)
        .innerJoin(table, eq(table.id, column))
        .where(and(inArray(evidence.incidentId, valid), inArray(evidence.tenantId, tenantIds)));
      return groupBy(rows, (r) => r.incidentId, incidentIds).map((list) => list.map((r) => r.row as R));
    });
  const accountsByIncident = estateByIncident<AccountRow>(evidence.accountId, accounts);
  const emailMessagesByIncident = estateByIncident<EmailMessageRow>(evidence.emailMessageId, emailMessages);

  const filesByDevice = new DataLoader<string, DeviceFileRow[]>(async (deviceIds) => {
    const rows = await db
      .select()
      .from(deviceFiles)
      .where(and(inArray(deviceFiles.deviceId, [...deviceIds]), inArray(deviceFiles.tenantId, tenantIds)))
      .orderBy(asc(deviceFiles.fileName), asc(deviceFiles.id));
    return groupBy(rows, (r) => r.deviceId, deviceIds);
  });

  // A comment by id (node): the incident's door, i.e. its tenant, for the roles that read incidents.
  const comment = new DataLoader<string, CommentRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0 || !allows(viewer, 'incident')) return none<CommentRow>(ids);
    const rows = await db
      .select()
      .from(comments)
      .where(and(inArray(comments.id, valid), inArray(comments.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  // An activity entry by id (node). An incident's entry passes the incident's door (its tenant,
  // for the roles that read incidents); an entry with no incident (an ad-hoc action from an
  // entity's page) passes the door of the action center that shows that card (its tenant, for
  // the roles that read `responseActions`): the tenant's customers and the experts serving it.
  const activityEntry = new DataLoader<string, ActivityRow | null>(async (ids) => {
    const valid = ids.filter((id) => /^[1-9][0-9]{0,14}$/.test(id)).map(Number);
    if (!scoped || valid.length === 0) return none<ActivityRow>(ids);
    const rows = await db
      .select()
      .from(activity)
      .where(and(inArray(activity.id, valid), inArray(activity.tenantId, tenantIds)));
    const map = new Map(
      rows.filter((r) => allows(viewer, r.incidentId ? 'incident' : 'responseActions')).map((r) => [String(r.id), r]),
    );
    return ids.map((id) => map.get(id) ?? null);
  });

  const commentCount = new DataLoader<string, number>(async (incidentIds) => {
    const rows = await db
      .select({ incidentId: comments.incidentId, n: sql<number>`count(*)::int` })
      .from(comments)
      .where(and(inArray(comments.incidentId, [...incidentIds]), inArray(comments.tenantId, tenantIds)))
      .groupBy(comments.incidentId);
    const map = new Map(rows.map((r) => [r.incidentId, Number(r.n)]));
    return incidentIds.map((id) => map.get(id) ?? 0);
  });

  const managedResponse = new DataLoader<string, ManagedResponseRow | null>(async (incidentIds) => {
    const rows = await db
      .select()
      .from(managedResponses)
      .where(and(inArray(managedResponses.incidentId, [...incidentIds]), inArray(managedResponses.tenantId, tenantIds)));
    const map = new Map(rows.map((r) => [r.incidentId, r]));
    return incidentIds.map((id) => map.get(id) ?? null);
  });

  const action = new DataLoader<string, ActionCardRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0) return none<ActionCardRow>(ids);
    const rows = await db
      .select()
      .from(actionCards)
      .where(and(inArray(actionCards.id, valid), inArray(actionCards.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  const actionsByIncident = new DataLoader<string, ActionCardRow[]>(async (incidentIds) => {
    const rows = await db
      .select()
      .from(actionCards)
      .where(and(inArray(actionCards.incidentId, [...incidentIds]), inArray(actionCards.tenantId, tenantIds)))
      .orderBy(asc(actionCards.incidentId), asc(actionCards.position));
    for (const r of rows) action.prime(r.id, r);
    return groupBy(rows, (r) => r.incidentId!, incidentIds);
  });

  // an incident's tickets in ServiceNow / Sentinel (Incident.externalTickets), one query per page
  const ticketsByIncident = new DataLoader<string, ExternalTicketRow[]>(async (incidentIds) => {
    const rows = await db
      .select()
      .from(externalTickets)
      .where(and(inArray(externalTickets.incidentId, validIds(incidentIds)), inArray(externalTickets.tenantId, tenantIds)))
      .orderBy(asc(externalTickets.incidentId), asc(externalTickets.system));
    return groupBy(rows, (r) => r.incidentId, incidentIds);
  });

  const attemptsByAction = new DataLoader<string, ActionAttemptRow[]>(async (actionIds) => {
    const rows = await db
      .select()
      .from(actionAttempts)
      .where(and(inArray(actionAttempts.actionId, [...actionIds]), inArray(actionAttempts.tenantId, tenantIds)))
      .orderBy(asc(actionAttempts.actionId), asc(actionAttempts.number));
    return groupBy(rows, (r) => r.actionId, actionIds);
  });

  const chatMessage = new DataLoader<string, ChatMessageRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0) return none<ChatMessageRow>(ids);
    const rows = await db
      .select()
      .from(chatMessages)
      .where(and(inArray(chatMessages.id, valid), inArray(chatMessages.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  const chatCount = new DataLoader<string, number>(async (incidentIds) => {
    const rows = await db
      .select({ incidentId: chatMessages.incidentId, n: sql<number>`count(*)::int` })
      .from(chatMessages)
      .where(and(inArray(chatMessages.incidentId, [...incidentIds]), inArray(chatMessages.tenantId, tenantIds)))
      .groupBy(chatMessages.incidentId);
    const map = new Map(rows.map((r) => [r.incidentId, Number(r.n)]));
    return incidentIds.map((id) => map.get(id) ?? 0);
  });

  // an incident's investigation record (Incident.investigation.revisions), oldest first
  const revisionsByIncident = new DataLoader<string, InvestigationRevisionRow[]>(async (incidentIds) => {
    const valid = validIds(incidentIds);
    if (!scoped || valid.length === 0) return incidentIds.map(() => []);
    const rows = await db
      .select()
      .from(investigationRevisions)
      .where(and(inArray(investigationRevisions.incidentId, valid), inArray(investigationRevisions.tenantId, tenantIds)))
      .orderBy(asc(investigationRevisions.incidentId), asc(investigationRevisions.number));
    return groupBy(rows, (r) => r.incidentId, incidentIds);
  });

  const investigationUpdate = new DataLoader<string, InvestigationUpdateRow | null>(async (ids) => {
    const valid = validIds(ids);
    if (!scoped || valid.length === 0) return none<InvestigationUpdateRow>(ids);
    const rows = await db
      .select()
      .from(investigationUpdates)
      .where(and(inArray(investigationUpdates.id, valid), inArray(investigationUpdates.tenantId, tenantIds)));
    return byId(rows, ids);
  });

  return {
    /**
     * Lists read ahead with a page (listIncidents), keyed by the incident row object they came
     * with: the nested resolvers of that page take them synchronously (no promise per incident
     * and field). They may hold only the columns that page's query selects, so they are never
     * shared with another page of the same request (its row objects are its own).
     */
    prefetched: {
      alertsByIncident: new WeakMap<IncidentRow, AlertRow[]>(),
      devicesByIncident: new WeakMap<IncidentRow, DeviceRow[]>(),
    },
    managedResponse,
    action,
    actionsByIncident,
    attemptsByAction,
    ticketsByIncident,
    chatCount,
    chatMessage,
    incident,
    tenant,
    principal,
    visiblePrincipal,
    alert,
    alertsByIncident,
    evidenceByAlert,
    device,
    devicesByIncident,
    file,
    filesByDevice,
    account,
    emailMessage,
    indicator,
    accountByUpn,
    accountsByIncident,
    emailMessagesByIncident,
    comment,
    commentCount,
    activity: activityEntry,
    revisionsByIncident,
    investigationUpdate,
    /** Saved views by id: the viewer's own and its tenant's shared ones (views.ts says who sees which). */
    savedView: new DataLoader<string, SavedViewRow | null>((ids) => savedViewsById(db, viewer, ids)),
    // suppression rules by id (node, Incident.suppressedBy): the viewer's tenants, for the roles that read rules
    suppressionRule: new DataLoader<string, SuppressionRuleRow | null>(async (ids) => {
      const valid = validIds(ids);
      if (!scoped || valid.length === 0 || !allows(viewer, 'suppressionRules')) return none<SuppressionRuleRow>(ids);
      const rows = await db
        .select()
        .from(suppressionRules)
        .where(and(inArray(suppressionRules.id, valid), inArray(suppressionRules.tenantId, tenantIds)));
      return byId(rows, ids);
    }),
    /** Incident.sla: the SLA rollup row of each incident (sla.ts), computed from the log when it has none yet. */
    slaByIncident: new DataLoader<string, IncidentSlaRow | null>(async (ids) => {
      const rows = await slaRowsOf(db, validIds(ids), tenantIds);
      return ids.map((id) => rows.get(id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Load many ids through a loader; a failed batch rejects instead of returning Error entries. */
export const loadAll = <T>(loader: DataLoader<string, T | null>, ids: readonly string[]) =>
  Promise.all(ids.map((id) => loader.load(id)));
