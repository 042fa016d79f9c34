// Operator commands of the service itself (CLI, seed, test factories): tenants, principals,
// which tenants an expert serves. A tenant ADMIN reaches the principal commands through the API
// via src/domain/principals.ts, which adds the viewer's rules on top of these.
import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { expertTenants, principals, tenants, type PrincipalRow, type TenantRow } from '../db/schema';
import type { ServiceAccessLevel } from './enums';
import { invalid } from './errors';
import { issueToken } from './tokens';
import { ROLES, type Role } from './viewer';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const PRINCIPAL_NAME_MAX = 100;
// local@domain.tld: no spaces, no display name
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

export async function createTenant(
  db: DbOrTx,
  input: { slug: string; name: string; serviceAccessLevel?: ServiceAccessLevel; remediationExclusions?: string[] },
): Promise<TenantRow> {
  if (!SLUG.test(input.slug)) throw invalid('slug must be lower-case letters, digits and dashes (1-63)', ['slug']);
  if (!input.name.trim()) throw invalid('name must not be empty', ['name']);
  const [existing] = await db.select().from(tenants).where(eq(tenants.slug, input.slug));
  if (existing) throw invalid(`a tenant with slug "${input.slug}" exists`, ['slug']);
  const [row] = await db
    .insert(tenants)
    .values({
      slug: input.slug,
      name: input.name.trim(),
      serviceAccessLevel: input.serviceAccessLevel ?? 'READER',
      remediationExclusions: input.remediationExclusions ?? [],
    })
    .returning();
  return row;
}

export async function createPrincipal(
  db: DbOrTx,
  input: { tenantId: string | null; role: Role; name: string; email?: string | null; serves?: string[] },
): Promise<PrincipalRow> {
  if (!ROLES.includes(input.role)) throw invalid(`role must be one of ${ROLES.join(', ')}`, ['role']);
  if (input.role === 'EXPERT' && input.tenantId) throw invalid('experts belong to the provider, not a tenant', ['tenantId']);
  if (input.role !== 'EXPERT' && !input.tenantId) throw invalid(`a ${input.role} belongs to a tenant`, ['tenantId']);
  const name = input.name.trim();
  if (!name) throw invalid('name must not be empty', ['name']);
  if (Array.from(name).length > PRINCIPAL_NAME_MAX) throw invalid(`name is at most ${PRINCIPAL_NAME_MAX} characters`, ['name']);
  const email = input.email?.trim() || null;
  if (email !== null && (email.length > 254 || !EMAIL.test(email))) throw invalid(`email is not a valid email address: "${email.slice(0, 80)}"`, ['email']);
  const [row] = await db
    .insert(principals)
    .values({ tenantId: input.tenantId, role: input.role, name, email })
    .returning();
  if (input.role === 'EXPERT' && input.serves?.length) await serveTenants(db, row.id, input.serves);
  return row;
}

export async function serveTenants(db: DbOrTx, expertId: string, tenantIds: string[]): Promise<void> {
  if (tenantIds.length === 0) return;
  await db
    .insert(expertTenants)
    .values(tenantIds.map((tenantId) => ({ principalId: expertId, tenantId })))
    .onConflictDoNothing();
}

/** The expert no longer serves these tenants: its open sockets and streams lose them within the token cache time. */
export async function unserveTenants(db: DbOrTx, expertId: string, tenantIds: string[]): Promise<number> {
  if (tenantIds.length === 0) return 0;
  const rows = await db
    .delete(expertTenants)
    .where(and(eq(expertTenants.principalId, expertId), inArray(expertTenants.tenantId, tenantIds)))
    .returning({ tenantId: expertTenants.tenantId });
  return rows.length;
}

/**
 * Disable (or enable again) a principal: none of its tokens work while it is disabled, on any
 * transport; its history (activity, chat, comments) stays. Returns false when nothing changed.
 */
export async function setPrincipalDisabled(db: DbOrTx, principalId: string, disabled: boolean): Promise<boolean> {
  const rows = await db
    .update(principals)
    .set({ disabledAt: disabled ? new Date() : null })
    .where(eq(principals.id, principalId))
    .returning({ id: principals.id });
  return rows.length > 0;
}

/** A principal with a fresh token, in one call (seed and tests). */
export async function principalWithToken(
  db: DbOrTx,
  input: Parameters<typeof createPrincipal>[1],
): Promise<{ principal: PrincipalRow; token: string }> {
  const principal = await createPrincipal(db, input);
  const { token } = await issueToken(db, principal.id, `${input.role.toLowerCase()} token`);
  return { principal, token };
}
