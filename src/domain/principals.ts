// Administration through the API (SPEC.md section 8): a tenant ADMIN lists, creates, changes and
// disables its tenant's principals and manages their API tokens. The storage and the rules both
// paths share (name and email checks, token expiry, hashing) are the operator commands of
// admin.ts and tokens.ts, which the CLI calls without a viewer; this file adds what an ADMIN may
// not do: reach another tenant or an expert, hand out a provider role, or leave its tenant
// without an active ADMIN.
import DataLoader from 'dataloader';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { apiTokens, principals, type PrincipalRow } from '../db/schema';
import { adminTenant, lockOwned } from './access';
import { createPrincipal as insertPrincipal } from './admin';
import type { DomainContext } from './context';
import { AccessError, DomainError, invalid, notFound } from './errors';
import { buildPage, pageRequest, UUID, type Page, type PageArgs } from './pagination';
import { issueToken, listTokens, revokeToken, type ApiTokenListing } from './tokens';
import type { Role, Viewer } from './viewer';

/** The roles a tenant ADMIN hands out: the customer side only. */
export const TENANT_ROLES = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const satisfies readonly Role[];

function tenantRole(role: string, field: string[], verb: string): Role {
  if (!(TENANT_ROLES as readonly string[]).includes(role)) {
    throw invalid(`an admin cannot ${verb} provider principals (roles: ${TENANT_ROLES.join(', ')})`, field);
  }
  return role as Role;
}

/** The ADMIN's tenant's principals, oldest first (never experts, never another tenant's). */
export async function listPrincipals(ctx: DomainContext, args: PageArgs): Promise<Page<PrincipalRow>> {
  const tenantId = adminTenant(ctx.viewer, 'principals', null);
  const req = pageRequest(args, ['date']);
  const where = eq(principals.tenantId, tenantId);
  const conds = [where];
  if (req.cursor) {
    const [at, id] = req.cursor as [Date, string];
    conds.push(sql`(${principals.createdAt}, ${principals.id}) ${sql.raw(req.backward ? '<' : '>')} (${at.toISOString()}::timestamptz, ${id}::uuid)`);
  }
  const rows = await ctx.db
    .select()
    .from(principals)
    .where(and(...conds))
    .orderBy(...(req.backward ? [desc(principals.createdAt), desc(principals.id)] : [asc(principals.createdAt), asc(principals.id)]))
    .limit(req.limit + 1);
  let count: Promise<number> | undefined;
  return buildPage(rows, req, (r) => [r.createdAt], () =>
    (count ??= ctx.db.select({ n: sql<number>`count(*)::int` }).from(principals).where(where).then((r) => Number(r[0].n))),
  );
}

export async function createPrincipal(
  ctx: DomainContext,
  input: { tenantId?: string | null; name: string; email?: string | null; role: string },
): Promise<PrincipalRow> {
  const tenantId = adminTenant(ctx.viewer, 'createPrincipal', input.tenantId);
  const role = tenantRole(input.role, ['role'], 'create');
  return insertPrincipal(ctx.db, { tenantId, role, name: input.name, email: input.email ?? null });
}

/** The one door to a principal an ADMIN manages: its own tenant's, locked; anyone else is NOT_FOUND. */
function lockTenantPrincipal(tx: Tx, viewer: Viewer, principalId: string): Promise<PrincipalRow> {
  return lockOwned(tx, principals, principalId, viewer, 'Principal', ['principalId']);
}

/**
 * Change a principal's role or disable (enable) it. A tenant never loses its last active ADMIN:
 * the active ADMIN rows are locked first, so two ADMINs demoting each other at the same time are
 * serialised and the second sees one ADMIN left (and that its own role is gone).
 */
export async function updatePrincipal(
  ctx: DomainContext,
  input: { principalId: string; role?: string | null; disabled?: boolean | null },
): Promise<PrincipalRow> {
  const tenantId = adminTenant(ctx.viewer, 'updatePrincipal', null);
  const viewer = ctx.viewer!;
  const role = input.role == null ? null : tenantRole(input.role, ['role'], 'make');
  return ctx.database.transaction(async (tx) => {
    const admins = await tx
      .select({ id: principals.id })
      .from(principals)
      .where(and(eq(principals.tenantId, tenantId), eq(principals.role, 'ADMIN'), isNull(principals.disabledAt)))
      .orderBy(principals.id)
      .for('update');
    // the token cache may still carry a role this principal lost a moment ago
    if (!admins.some((a) => a.id === viewer.principalId)) throw new AccessError('FORBIDDEN', 'You are no longer an active ADMIN of this tenant');
    const target = await lockTenantPrincipal(tx, viewer, input.principalId);
    const nextRole = role ?? target.role;
    const nextDisabled = input.disabled == null ? target.disabledAt !== null : input.disabled;
    const losesAdmin = target.role === 'ADMIN' && target.disabledAt === null && (nextRole !== 'ADMIN' || nextDisabled);
    if (losesAdmin && admins.length <= 1) {
      const what = nextDisabled && target.disabledAt === null ? 'disabled' : 'demoted';
      throw new DomainError(
        'INVALID_TRANSITION',
        `${target.id === viewer.principalId ? 'You are' : `${target.name} is`} the last active ADMIN of this tenant and cannot be ${what}: make another principal ADMIN first`,
        [input.disabled ? 'disabled' : 'role'],
      );
    }
    const disabledAt = nextDisabled ? (target.disabledAt ?? new Date()) : null;
    if (nextRole === target.role && (disabledAt === null) === (target.disabledAt === null)) return target;
    const [row] = await tx.update(principals).set({ role: nextRole, disabledAt }).where(eq(principals.id, target.id)).returning();
    return row;
  });
}

export type ApiTokenView = ApiTokenListing;

/** Issue a token for one of the ADMIN's tenant's principals; the token itself is returned only here. */
export async function createApiToken(
  ctx: DomainContext,
  input: { principalId: string; name: string; expiresAt?: Date | null },
): Promise<{ apiToken: ApiTokenView; token: string }> {
  adminTenant(ctx.viewer, 'createApiToken', null);
  const viewer = ctx.viewer!;
  return ctx.database.transaction(async (tx) => {
    const principal = await lockTenantPrincipal(tx, viewer, input.principalId);
    const { id, token } = await issueToken(tx, principal.id, input.name, { expiresAt: input.expiresAt ?? null });
    const [apiToken] = (await listTokens(tx, [principal.id])).filter((t) => t.id === id);
    return { apiToken, token };
  });
}

/** Revoke a token of the ADMIN's tenant's principal; a second revocation is INVALID_TRANSITION. */
export async function revokeApiToken(ctx: DomainContext, input: { tokenId: string }): Promise<ApiTokenView> {
  const tenantId = adminTenant(ctx.viewer, 'revokeApiToken', null);
  return ctx.database.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: apiTokens.id, revokedAt: apiTokens.revokedAt, principalId: apiTokens.principalId })
      .from(apiTokens)
      .innerJoin(principals, eq(principals.id, apiTokens.principalId))
      .where(and(eq(apiTokens.id, input.tokenId), eq(principals.tenantId, tenantId)))
      .for('update', { of: apiTokens });
    if (!row) throw notFound('API token', ['tokenId']);
    if (row.revokedAt || !(await revokeToken(tx, row.id))) {
      throw new DomainError('INVALID_TRANSITION', `The token was already revoked${row.revokedAt ? ` at ${row.revokedAt.toISOString()}` : ''}`, ['tokenId']);
    }
    const [apiToken] = (await listTokens(tx, [row.principalId])).filter((t) => t.id === row.id);
    return apiToken;
  });
}

/** Who reads a principal's tokens: its tenant's ADMIN, and the principal itself. */
export function canReadTokensOf(viewer: Viewer | null | undefined, principal: Pick<PrincipalRow, 'id' | 'tenantId'>): boolean {
  if (!viewer) return false;
  if (principal.id === viewer.principalId) return true;
  return viewer.role === 'ADMIN' && !!principal.tenantId && principal.tenantId === viewer.tenantId;
}

// one loader per request (keyed by its loaders object), so a page of principals is one statement
const tokenLoaders = new WeakMap<object, DataLoader<string, ApiTokenView[]>>();

/** A principal's tokens for Principal.apiTokens: newest last; [] for anyone but its ADMIN and itself. */
export async function apiTokensOf(ctx: DomainContext, principal: Pick<PrincipalRow, 'id' | 'tenantId'>): Promise<ApiTokenView[]> {
  if (!canReadTokensOf(ctx.viewer, principal)) return [];
  let loader = tokenLoaders.get(ctx.loaders);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const rows = await listTokens(ctx.db, ids);
      return ids.map((id) => rows.filter((r) => r.principalId === id));
    });
    tokenLoaders.set(ctx.loaders, loader);
  }
  return loader.load(principal.id);
}

/** Tokens by id (node/nodes): null unless the viewer reads that principal's tokens. */
export async function apiTokensById(ctx: DomainContext, ids: readonly string[]): Promise<(ApiTokenView | null)[]> {
  const viewer = ctx.viewer;
  if (!viewer || ids.length === 0) return ids.map(() => null);
  const valid = ids.filter((id) => UUID.test(id));
  const rows = valid.length
    ? await ctx.db
        .select({ token: apiTokens.id, principalId: principals.id, tenantId: principals.tenantId })
        .from(apiTokens)
        .innerJoin(principals, eq(principals.id, apiTokens.principalId))
        .where(inArray(apiTokens.id, valid))
    : [];
  const readable = rows.filter((r) => canReadTokensOf(viewer, { id: r.principalId, tenantId: r.tenantId }));
  const listed = await listTokens(ctx.db, [...new Set(readable.map((r) => r.principalId))]);
  return ids.map((id) => (readable.some((r) => r.token === id) ? (listed.find((t) => t.id === id) ?? null) : null));
}
