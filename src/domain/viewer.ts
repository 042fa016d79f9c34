// Who is asking. What they may do, and the tenant door every read and write goes through, live in
// access.ts.
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

/** The viewer, or UNAUTHENTICATED (reads every role may do; writes use access.authorize). */
export function requireViewer(v: Viewer | null): Viewer {
  if (!v) throw new AccessError('UNAUTHENTICATED', 'A valid bearer token is required');
  return v;
}
