// Who is asking, and the one tenant guard every read and write path goes through.
import { AccessError } from './errors';

export const ROLES = ['READER', 'OPERATOR', 'ADMIN', 'EXPERT', 'INTEGRATION'] as const;
export type Role = (typeof ROLES)[number];

export interface Viewer {
  principalId: string;
  name: string;
  role: Role;
  /** The customer tenant; null for experts (provider side). */
  tenantId: string | null;
  /** Tenants an expert serves; for customers, just their own tenant. */
  tenantIds: readonly string[];
}

export const isExpert = (v: Viewer) => v.role === 'EXPERT';
export const isCustomer = (v: Viewer) => v.role === 'READER' || v.role === 'OPERATOR' || v.role === 'ADMIN';
/** OPERATOR or ADMIN of a customer tenant: may act on incidents of their tenant. */
export const isCustomerOperator = (v: Viewer) => v.role === 'OPERATOR' || v.role === 'ADMIN';

export function canReadTenant(v: Viewer, tenantId: string): boolean {
  return v.tenantIds.includes(tenantId);
}

export function requireViewer(v: Viewer | null): Viewer {
  if (!v) throw new AccessError('UNAUTHENTICATED', 'A valid bearer token is required');
  return v;
}

export function requireRole(v: Viewer, roles: readonly Role[], what: string): void {
  if (!roles.includes(v.role)) throw new AccessError('FORBIDDEN', `The ${v.role} role may not ${what}`);
}

/**
 * Narrow an optional list of tenant ids the caller asked for to the ones it may read.
 * Ids it may not read are dropped silently: asking for a foreign tenant gives the same empty
 * result as asking for one that does not exist.
 */
export function scopeTenantIds(v: Viewer, requested: readonly string[] | null | undefined): string[] {
  if (!requested || requested.length === 0) return [...v.tenantIds];
  return requested.filter((id) => v.tenantIds.includes(id));
}
