// Tenant settings by the tenant's ADMIN: service access level, remediation exclusions (and how a
// device group matches them, for every caller), device health; and the action center (every
// card across the viewer's incidents).
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { actionCards, devices, tenants, type ActionCardRow, type DeviceRow, type TenantRow } from '../db/schema';
import { writeTransaction } from '../events/activity';
import type { DomainContext } from './context';
import type { ServiceAccessLevel } from './enums';
import { invalid } from './errors';
import { buildPage, pageRequest, type Page, type PageArgs } from './pagination';
import type { ActionKind, ActionStatus } from './response';
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

export async function setRemediationExclusions(ctx: DomainContext, input: { tenantId?: string | null; deviceGroups: string[] }) {
  const tenantId = adminTenant(ctx.viewer, 'setRemediationExclusions', input.tenantId);
  if (input.deviceGroups.length > 200) throw invalid('at most 200 excluded device groups', ['deviceGroups']);
  // one entry per group as matching sees it; the first spelling is kept
  const groups = new Map<string, string>();
  input.deviceGroups.forEach((g, i) => {
    const name = text(g, ['deviceGroups', String(i)], LIMITS.name);
    if (!groups.has(normaliseDeviceGroup(name))) groups.set(normaliseDeviceGroup(name), name);
  });
  // (attempts already queued for the experts are checked again by the executor before they run)
  return updateTenant(ctx, tenantId, { remediationExclusions: [...groups.values()] });
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
  tenantIds?: string[] | null;
}

/** The action center: every card of every incident the viewer may read, most recently changed first. */
export async function listActions(ctx: DomainContext, filter: ActionFilter | null | undefined, args: PageArgs): Promise<Page<ActionCardRow>> {
  const viewer = requireViewer(ctx.viewer);
  const req = pageRequest(args, ['date']);
  const scope = scopeTenantIds(viewer, filter?.tenantIds);
  const conds: SQL[] = [scope.length ? inArray(actionCards.tenantId, scope) : sql`false`];
  if (filter?.status?.length) conds.push(inArray(actionCards.status, filter.status));
  if (filter?.kind?.length) conds.push(inArray(actionCards.kind, filter.kind));
  if (filter?.incidentId) conds.push(eq(actionCards.incidentId, filter.incidentId));
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
