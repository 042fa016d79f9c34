// Tenant settings by the tenant's ADMIN: service access level, remediation exclusions (and how a
// device group matches them, for every caller), device health; and the action center (every
// card across the viewer's incidents).
import { and, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { accounts, actionCards, devices, tenants, type ActionCardRow, type DeviceRow, type TenantRow } from '../db/schema';
import { writeTransaction } from '../events/activity';
import type { DomainContext } from './context';
import type { ServiceAccessLevel } from './enums';
import { invalid, notFound } from './errors';
import { buildPage, pageRequest, type Page, type PageArgs } from './pagination';
import type { ActionKind } from '../registry/action-kinds';
type ActionStatus = ActionCardRow['status'];
import { LIMITS, text } from './validate';
import { adminTenant, authorize, lockOwned, scopeTenantIds } from './access';
import { requireViewer } from './viewer';
import { normaliseDeviceGroup } from './exclusions';

// ---------------------------------------------------------------- settings

async function updateTenant(ctx: DomainContext, tenantId: string, set: Partial<TenantRow>): Promise<TenantRow> {
  const [row] = await ctx.db.update(tenants).set(set).where(eq(tenants.id, tenantId)).returning();
  ctx.loaders.tenant.clear(row.id).prime(row.id, row);
  return row;
}

export async function setServiceAccessLevel(ctx: DomainContext, input: { tenantId?: string | null; level: ServiceAccessLevel }) {
  const tenantId = adminTenant(ctx.viewer, 'setServiceAccessLevel', input.tenantId);
  return updateTenant(ctx, tenantId, { serviceAccessLevel: input.level });
}

/**
 * The device groups and accounts the experts never act on. Each list given replaces the current
 * one; a list left out stays as it is. Account ids must be accounts of this tenant.
 */
export async function setRemediationExclusions(
  ctx: DomainContext,
  input: { tenantId?: string | null; deviceGroups?: string[] | null; accountIds?: string[] | null },
) {
  const tenantId = adminTenant(ctx.viewer, 'setRemediationExclusions', input.tenantId);
  const set: Partial<TenantRow> = {};
  if (input.deviceGroups) {
    if (input.deviceGroups.length > 200) throw invalid('at most 200 excluded device groups', ['deviceGroups']);
    // one entry per group as matching sees it; the first spelling is kept
    const groups = new Map<string, string>();
    input.deviceGroups.forEach((g, i) => {
      const name = text(g, ['deviceGroups', String(i)], LIMITS.name);
      if (!groups.has(normaliseDeviceGroup(name))) groups.set(normaliseDeviceGroup(name), name);
    });
    set.remediationExclusions = [...groups.values()];
  }
  if (input.accountIds) {
    if (input.accountIds.length > 500) throw invalid('at most 500 excluded accounts', ['accountIds']);
    const ids = [...new Set(input.accountIds)];
    const found = ids.length
      ? await ctx.db.select({ id: accounts.id }).from(accounts).where(and(eq(accounts.tenantId, tenantId), inArray(accounts.id, ids)))
      : [];
    const known = new Set(found.map((r) => r.id));
    const missing = input.accountIds.findIndex((id) => !known.has(id));
    // another tenant's account is reported exactly like one that does not exist
    if (missing >= 0) throw notFound('An account of this tenant', ['accountIds', String(missing)]);
    set.excludedAccountIds = ids;
  }
  if (!input.deviceGroups && !input.accountIds) throw invalid('give deviceGroups, accountIds or both', ['deviceGroups']);
  // (attempts already queued for the experts are checked again by the executor before they run)
  return updateTenant(ctx, tenantId, set);
}

/**
 * A tenant ADMIN marks a device ACTIVE or INACTIVE (the fleet itself does the same through the
 * connector). Back online, its waiting actions run: the executors pick them up.
 */
export async function setDeviceHealth(ctx: DomainContext, input: { deviceId: string; health: DeviceRow['healthStatus'] }): Promise<DeviceRow> {
  const viewer = authorize(ctx.viewer, 'setDeviceHealth');
  const row = await writeTransaction(ctx, async (tx) => {
    const current = await lockOwned(tx, devices, input.deviceId, viewer, 'Device', ['deviceId']);
    const [d] = await tx
      .update(devices)
      .set({ healthStatus: input.health, ...(input.health === 'ACTIVE' ? { lastSeenAt: new Date() } : {}) })
      .where(eq(devices.id, current.id))
      .returning();
    return d;
  });
  ctx.loaders.device.clear(row.id).prime(row.id, row);
  if (row.healthStatus === 'ACTIVE') ctx.actionsQueued?.();
  return row;
}

export interface ActionFilter {
  status?: ActionStatus[] | null;
  kind?: ActionKind[] | null;
  incidentId?: string | null;
  /** Cards acting on this entity (its uuid): the entity page's history. */
  targetId?: string | null;
  /** true: only ad-hoc cards (from entity pages); false: only cards of incidents. */
  adHoc?: boolean | null;
  tenantIds?: string[] | null;
}

/** The action center: every card the viewer may read (incidents' and ad-hoc ones), most recently changed first. */
export async function listActions(ctx: DomainContext, filter: ActionFilter | null | undefined, args: PageArgs): Promise<Page<ActionCardRow>> {
  const viewer = requireViewer(ctx.viewer);
  const req = pageRequest(args, ['date']);
  const scope = scopeTenantIds(viewer, filter?.tenantIds);
  const conds: SQL[] = [scope.length ? inArray(actionCards.tenantId, scope) : sql`false`];
  if (filter?.status?.length) conds.push(inArray(actionCards.status, filter.status));
  if (filter?.kind?.length) conds.push(inArray(actionCards.kind, filter.kind));
  if (filter?.incidentId) conds.push(eq(actionCards.incidentId, filter.incidentId));
  // an entity page's history: every card on this device, file, account, message or indicator
  if (filter?.targetId) conds.push(eq(actionCards.targetKey, filter.targetId));
  if (filter?.adHoc != null) conds.push(filter.adHoc ? isNull(actionCards.incidentId) : isNotNull(actionCards.incidentId));
  const where = and(...conds);
  const pageConds = [...conds];
  if (req.cursor) {
    const [at, id] = req.cursor as [Date, string];
    pageConds.push(sql`(${actionCards.updatedAt}, ${actionCards.id}) ${sql.raw(req.backward ? '>' : '<')} (${at.toISOString()}::timestamptz, ${id}::uuid)`);
  }
  const rows = await ctx.db
    .select()
    .from(actionCards)
    .where(and(...pageConds))
    .orderBy(...(req.backward ? [actionCards.updatedAt, actionCards.id] : [desc(actionCards.updatedAt), desc(actionCards.id)]))
    .limit(req.limit + 1);
  for (const r of rows) ctx.loaders.action.prime(r.id, r);
  let count: Promise<number> | undefined;
  return buildPage(rows, req, (r) => [r.updatedAt], () =>
    (count ??= ctx.db.select({ n: sql<number>`count(*)::int` }).from(actionCards).where(where).then((r) => Number(r[0].n))),
  );
}
