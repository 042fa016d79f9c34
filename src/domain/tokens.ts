// API tokens: random, shown once, stored only as a SHA-256 hash.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { apiTokens, expertTenants, principals } from '../db/schema';
import type { Role, Viewer } from './viewer';

const TOKEN_PREFIX = 'mdr_';
const TOKEN_SHAPE = /^mdr_[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export const isWellFormedToken = (token: string) => TOKEN_SHAPE.test(token);

export async function issueToken(db: DbOrTx, principalId: string, name: string): Promise<{ id: string; token: string }> {
  const token = generateToken();
  const [row] = await db
    .insert(apiTokens)
    .values({ principalId, name, tokenHash: hashToken(token), prefix: token.slice(0, 10) })
    .returning({ id: apiTokens.id });
  return { id: row.id, token };
}

export async function revokeToken(db: DbOrTx, tokenId: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** The viewer a token stands for, or null when it is unknown, revoked or malformed. */
export async function viewerForToken(db: DbOrTx, token: string): Promise<Viewer | null> {
  if (!isWellFormedToken(token)) return null;
  const [row] = await db
    .select({
      principalId: principals.id,
      name: principals.name,
      role: principals.role,
      tenantId: principals.tenantId,
    })
    .from(apiTokens)
    .innerJoin(principals, eq(principals.id, apiTokens.principalId))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row) return null;
  let tenantIds: string[];
  if (row.role === 'EXPERT') {
    const served = await db
      .select({ tenantId: expertTenants.tenantId })
      .from(expertTenants)
      .where(eq(expertTenants.principalId, row.principalId));
    tenantIds = served.map((s) => s.tenantId);
  } else {
    tenantIds = row.tenantId ? [row.tenantId] : [];
  }
  return { principalId: row.principalId, name: row.name, role: row.role as Role, tenantId: row.tenantId, tenantIds };
}

/**
 * A short-lived in-process cache of token → viewer, so that a busy dashboard does not pay a
 * database round trip per request. Revocation takes effect within `ttlMs` on every instance.
 */
export class TokenCache {
  private entries = new Map<string, { viewer: Viewer | null; expires: number }>();
  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  async resolve(db: DbOrTx, token: string): Promise<Viewer | null> {
    const key = hashToken(token);
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.viewer;
    const viewer = await viewerForToken(db, token);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    // Unknown tokens are cached too (briefly), so guessing does not hammer the database.
    this.entries.set(key, { viewer, expires: now + this.ttlMs });
    return viewer;
  }

  clear() {
    this.entries.clear();
  }
}
