// Signed links to a service report's page: `/reports/service?tenant=…&month=…&principal=…&expires=…&sig=…`.
// A link is short-lived (REPORT_LINK_TTL, 15 min by default), names the principal it was made for,
// and is checked again when it is opened: a principal disabled (or no longer serving the tenant)
// since then gets 403 like a bad signature. The signature is an HMAC under a key derived from the
// secrets key (Secrets.mac), so any instance sharing SECRETS_KEY serves any instance's links.
import { timingSafeEqual } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { expertTenants, principals } from '../../db/schema';
import { POLICY } from '../access';
import type { Secrets } from '../secrets';
import type { Role } from '../viewer';
import { MONTH_PATTERN } from './data';

export const REPORT_PATH = '/reports/service';
const PURPOSE = 'service-report-link';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ReportLinkClaims {
  tenantId: string;
  month: string;
  principalId: string;
  /** Unix seconds. */
  expires: number;
}

const message = (c: ReportLinkClaims) => [c.tenantId.toLowerCase(), c.month, c.principalId.toLowerCase(), c.expires].join('\n');

export class ReportLinks {
  constructor(
    private readonly secrets: Secrets,
    private readonly publicUrl: () => string,
    readonly ttlMs: number,
  ) {}

  /** A link to the report page for this principal, valid for ttlMs from `now`. */
  make(c: Omit<ReportLinkClaims, 'expires'>, now = Date.now()): { url: string; expiresAt: Date } {
    const expires = Math.floor((now + this.ttlMs) / 1000);
    const sig = this.secrets.mac(PURPOSE, message({ ...c, expires })).toString('base64url');
    const q = new URLSearchParams({ tenant: c.tenantId, month: c.month, principal: c.principalId, expires: String(expires), sig });
    return { url: `${this.publicUrl()}${REPORT_PATH}?${q}`, expiresAt: new Date(expires * 1000) };
  }

  /**
   * The claims of a link's query string, or why it is refused: MALFORMED / BAD_SIGNATURE (403),
   * EXPIRED (410). The principal's current access is checked separately (principalMayRead).
   */
  verify(query: URLSearchParams, now = Date.now()): { ok: true; claims: ReportLinkClaims } | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' } {
    const tenantId = query.get('tenant') ?? '';
    const month = query.get('month') ?? '';
    const principalId = query.get('principal') ?? '';
    const expiresRaw = query.get('expires') ?? '';
    const sig = query.get('sig') ?? '';
    if (!UUID.test(tenantId) || !UUID.test(principalId) || !MONTH_PATTERN.test(month) || !/^\d{1,12}$/.test(expiresRaw) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) {
      return { ok: false, reason: 'MALFORMED' };
    }
    const claims = { tenantId, month, principalId, expires: Number(expiresRaw) };
    const expected = this.secrets.mac(PURPOSE, message(claims));
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'BAD_SIGNATURE' };
    // checked after the signature: an expired link tells nothing until it is shown to be ours
    if (claims.expires * 1000 <= now) return { ok: false, reason: 'EXPIRED' };
    return { ok: true, claims };
  }
}

/** Whether the principal is still enabled and still reads the tenant (its own, or one it serves). */
export async function principalMayRead(db: Db, principalId: string, tenantId: string): Promise<boolean> {
  const [p] = await db
    .select({ role: principals.role, tenantId: principals.tenantId })
    .from(principals)
    .where(and(eq(principals.id, principalId), isNull(principals.disabledAt)));
  if (!p || !(POLICY.serviceReport as readonly Role[]).includes(p.role)) return false;
  if (p.role !== 'EXPERT') return p.tenantId === tenantId;
  const [served] = await db
    .select({ tenantId: expertTenants.tenantId })
    .from(expertTenants)
    .where(and(eq(expertTenants.principalId, principalId), eq(expertTenants.tenantId, tenantId)));
  return !!served;
}
