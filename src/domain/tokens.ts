// API tokens: random, shown once, stored only as a SHA-256 hash.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { apiTokens, expertTenants, principals } from '../db/schema';
import { invalid } from './errors';
import type { Role, Viewer } from './viewer';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

const TOKEN_PREFIX = 'mdr_';
const TOKEN_SHAPE = /^mdr_[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export const isWellFormedToken = (token: string) => TOKEN_SHAPE.test(token);

export const TOKEN_NAME_MAX = 100;

/**
 * Issue a token (CLI, API, seed): the token is returned once; only its hash is stored. An expiry,
 * when given, must lie in the future; after it the token is refused like a revoked one.
 */
export async function issueToken(
  db: DbOrTx,
  principalId: string,
  name: string,
  opts: { expiresAt?: Date | null } = {},
): Promise<{ id: string; token: string; row: ApiTokenRow }> {
  const label = name.trim();
  if (!label) throw invalid('name must not be empty', ['name']);
  if (Array.from(label).length > TOKEN_NAME_MAX) throw invalid(`name is at most ${TOKEN_NAME_MAX} characters`, ['name']);
  const expiresAt = opts.expiresAt ?? null;
  if (expiresAt && !(expiresAt.getTime() > Date.now())) throw invalid('expiresAt must be in the future', ['expiresAt']);
  const token = generateToken();
  const [row] = await db
    .insert(apiTokens)
    .values({ principalId, name: label, tokenHash: hashToken(token), prefix: token.slice(0, 10), expiresAt })
    .returning();
  return { id: row.id, token, row };
}

/** Revoke a token; false when it was revoked already (or does not exist). */
export async function revokeToken(db: DbOrTx, tokenId: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Tokens for listings (CLI `token list`, Principal.apiTokens): never the hash, never the token. */
export async function listTokens(db: DbOrTx, principalIds?: readonly string[]) {
  if (principalIds && principalIds.length === 0) return [];
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      principalId: apiTokens.principalId,
      principalName: principals.name,
      role: principals.role,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .innerJoin(principals, eq(principals.id, apiTokens.principalId))
    .where(principalIds ? inArray(apiTokens.principalId, [...principalIds]) : undefined)
    .orderBy(apiTokens.createdAt, apiTokens.id);
}
export type ApiTokenListing = Awaited<ReturnType<typeof listTokens>>[number];

/** The viewer a token stands for, or null when it is unknown, revoked, expired, malformed or its principal disabled. */
export async function viewerForToken(db: DbOrTx, token: string): Promise<Viewer | null> {
  if (!isWellFormedToken(token)) return null;
  return (await viewersForTokenHashes(db, [hashToken(token)])).get(hashToken(token)) ?? null;
}

/** What a valid token grants: its viewer, and the token facts the cache and last-used stamp need. */
export interface TokenGrant {
  viewer: Viewer;
  tokenId: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * The viewers of several tokens at once, by hash: what the access watch asks every few seconds
 * for all open sockets and streams (two statements, however many tokens). Missing from the map:
 * unknown, revoked, expired, or the principal is disabled.
 */
export async function viewersForTokenHashes(db: DbOrTx, hashes: readonly string[]): Promise<Map<string, Viewer>> {
  const out = new Map<string, Viewer>();
  for (const [h, g] of await tokenGrants(db, hashes)) out.set(h, g.viewer);
  return out;
}

/** viewersForTokenHashes with the token facts (expiry, last use). */
export async function tokenGrants(db: DbOrTx, hashes: readonly string[]): Promise<Map<string, TokenGrant>> {
  const out = new Map<string, TokenGrant>();
  if (hashes.length === 0) return out;
  // thousands of open sessions: one statement per chunk, far below the bind-parameter limit
  if (hashes.length > 1_000) {
    for (let i = 0; i < hashes.length; i += 1_000) {
      for (const [h, v] of await tokenGrants(db, hashes.slice(i, i + 1_000))) out.set(h, v);
    }
    return out;
  }
  const rows = await db
    .select({
      tokenHash: apiTokens.tokenHash,
      tokenId: apiTokens.id,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      principalId: principals.id,
      name: principals.name,
      role: principals.role,
      tenantId: principals.tenantId,
    })
    .from(apiTokens)
    .innerJoin(principals, eq(principals.id, apiTokens.principalId))
    .where(
      and(
        inArray(apiTokens.tokenHash, [...hashes]),
        isNull(apiTokens.revokedAt),
        isNull(principals.disabledAt),
        // an expired token is refused exactly like a revoked one (the database's clock decides)
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
      ),
    );
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
    out.set(row.tokenHash, {
      viewer: { principalId: row.principalId, name: row.name, role: row.role as Role, tenantId: row.tenantId, tenantIds },
      tokenId: row.tokenId,
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastUsedAt,
    });
  }
  return out;
}

/** How stale `last_used_at` may get: it is written at most once a minute per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Stamp a token's last use (what the token listing shows). Once a minute at most, from the
 * cache misses of authentication; a failure (a read-only standby) never refuses the request.
 */
export async function touchToken(db: DbOrTx, grant: TokenGrant, now = new Date()): Promise<void> {
  if (grant.lastUsedAt && now.getTime() - grant.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  try {
    await db
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(and(eq(apiTokens.id, grant.tokenId), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)))));
    grant.lastUsedAt = now;
  } catch {
    // best effort: the listing's "last used" is informative, authentication is not
  }
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
    const grant = (await tokenGrants(db, [hash])).get(hash) ?? null;
    if (grant) await touchToken(db, grant);
    this.remember(hash, grant?.viewer ?? null, now, grant?.expiresAt);
    return grant?.viewer ?? null;
  }

  /** What a fresher look (the access watch's sweep) found; a token's own expiry bounds the entry. */
  remember(hash: string, viewer: Viewer | null, now = Date.now(), tokenExpiresAt?: Date | null) {
    // full: evict the oldest entry (Map keeps insertion order), never every legitimate token at once
    if (this.entries.size >= this.maxEntries && !this.entries.has(hash)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.delete(hash);
    // Unknown tokens are cached too (briefly), so guessing does not hammer the database.
    const until = tokenExpiresAt ? Math.min(now + this.ttlMs, tokenExpiresAt.getTime()) : now + this.ttlMs;
    this.entries.set(hash, { viewer, expires: until });
  }

  clear() {
    this.entries.clear();
  }
}
