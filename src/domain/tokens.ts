// API tokens: random, shown once, stored only as a SHA-256 hash.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull } from 'drizzle-orm';
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

/** The viewer a token stands for, or null when it is unknown, revoked, malformed or its principal disabled. */
export async function viewerForToken(db: DbOrTx, token: string): Promise<Viewer | null> {
  if (!isWellFormedToken(token)) return null;
  return (await viewersForTokenHashes(db, [hashToken(token)])).get(hashToken(token)) ?? null;
}

/**
 * The viewers of several tokens at once, by hash: what the access watch asks every few seconds
 * for all open sockets and streams (two statements, however many tokens). Missing from the map:
 * unknown, revoked, or the principal is disabled.
 */
export async function viewersForTokenHashes(db: DbOrTx, hashes: readonly string[]): Promise<Map<string, Viewer>> {
  const out = new Map<string, Viewer>();
  if (hashes.length === 0) return out;
  // thousands of open sessions: one statement per chunk, far below the bind-parameter limit
  if (hashes.length > 1_000) {
    for (let i = 0; i < hashes.length; i += 1_000) {
      for (const [h, v] of await viewersForTokenHashes(db, hashes.slice(i, i + 1_000))) out.set(h, v);
    }
    return out;
  }
  const rows = await db
    .select({
      tokenHash: apiTokens.tokenHash,
      principalId: principals.id,
      name: principals.name,
      role: principals.role,
      tenantId: principals.tenantId,
    })
    .from(apiTokens)
    .innerJoin(principals, eq(principals.id, apiTokens.principalId))
    .where(and(inArray(apiTokens.tokenHash, [...hashes]), isNull(apiTokens.revokedAt), isNull(principals.disabledAt)));
  const expertIds = [...new Set(rows.filter((r) => r.role === 'EXPERT').map((r) => r.principalId))];
  const served = new Map<string, string[]>();
  if (expertIds.length > 0) {
    const links = await db
      .select({ principalId: expertTenants.principalId, tenantId: expertTenants.tenantId })
      .from(expertTenants)
      .where(inArray(expertTenants.principalId, expertIds));
    for (const l of links) served.set(l.principalId, [...(served.get(l.principalId) ?? []), l.tenantId]);
  }
  for (const row of rows) {
    const tenantIds = row.role === 'EXPERT' ? (served.get(row.principalId) ?? []).sort() : row.tenantId ? [row.tenantId] : [];
    out.set(row.tokenHash, { principalId: row.principalId, name: row.name, role: row.role as Role, tenantId: row.tenantId, tenantIds });
  }
  return out;
}

/** Same principal, role and tenants: what a long-lived session may keep using. */
export function sameAccess(a: Viewer, b: Viewer): boolean {
  return a.principalId === b.principalId && a.role === b.role && a.tenantIds.length === b.tenantIds.length && a.tenantIds.every((t) => b.tenantIds.includes(t));
}

/**
 * A short-lived in-process cache of token → viewer, so that a busy dashboard does not pay a
 * database round trip per request. Revocation, a disabled principal and an expert who stopped
 * serving a tenant take effect within `ttlMs` on every instance (open sockets and streams too:
 * see the access watch).
 */
export class TokenCache {
  private entries = new Map<string, { viewer: Viewer | null; expires: number }>();
  constructor(
    readonly ttlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  async resolve(db: DbOrTx, token: string): Promise<Viewer | null> {
    if (!isWellFormedToken(token)) return null;
    return this.resolveHash(db, hashToken(token));
  }

  async resolveHash(db: DbOrTx, hash: string): Promise<Viewer | null> {
    const now = Date.now();
    const hit = this.entries.get(hash);
    if (hit && hit.expires > now) return hit.viewer;
    const viewer = (await viewersForTokenHashes(db, [hash])).get(hash) ?? null;
    this.remember(hash, viewer, now);
    return viewer;
  }

  /** What a fresher look (the access watch's sweep) found. */
  remember(hash: string, viewer: Viewer | null, now = Date.now()) {
    // full: evict the oldest entry (Map keeps insertion order), never every legitimate token at once
    if (this.entries.size >= this.maxEntries && !this.entries.has(hash)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.delete(hash);
    // Unknown tokens are cached too (briefly), so guessing does not hammer the database.
    this.entries.set(hash, { viewer, expires: now + this.ttlMs });
  }

  clear() {
    this.entries.clear();
  }
}
