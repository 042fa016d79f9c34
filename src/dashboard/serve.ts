// Serves the dashboard: /dashboard (the page), /dashboard/app.css and /dashboard/app.js (bundled by
// scripts/build-dashboard.ts into dist/). Each file is read, hashed and compressed (gzip, brotli)
// once, and again only when it changes on disk; responses carry an ETag (304 on a match), a strict
// Content-Security-Policy and no-cache (revalidate, so a new build shows at once).
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BUNDLE_FILE = path.resolve(here, '../../dist/dashboard/app.js');

interface Route {
  file: string;
  type: string;
  html?: boolean;
}

const ROUTES: Record<string, Route> = {
  '/dashboard': { file: path.join(here, 'index.html'), type: 'text/html; charset=utf-8', html: true },
  '/dashboard/': { file: path.join(here, 'index.html'), type: 'text/html; charset=utf-8', html: true },
  '/dashboard/app.css': { file: path.join(here, 'app.css'), type: 'text/css; charset=utf-8' },
  '/dashboard/app.js': { file: BUNDLE_FILE, type: 'text/javascript; charset=utf-8' },
};

interface Asset {
  mtimeMs: number;
  size: number;
  tag: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

const assets = new Map<string, Asset>();

/** The file's bytes, hash and compressed forms; computed once per version of the file. */
async function load(file: string): Promise<Asset | null> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return null;
  }
  const cached = assets.get(file);
  if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
  const identity = await readFile(file);
  const asset: Asset = {
    mtimeMs: info.mtimeMs,
    size: info.size,
    tag: createHash('sha256').update(identity).digest('base64url').slice(0, 22),
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length },
    }),
  };
  assets.set(file, asset);
  return asset;
}

/** The best encoding the client accepts: br, then gzip, then none (a `;q=0` refuses one). */
function negotiate(header: string | undefined): 'br' | 'gzip' | null {
  const accepted = new Set<string>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    if (q && Number(q[1]) === 0) continue;
    accepted.add(name.trim());
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return null;
}

/**
 * The page may load its own script and stylesheet and talk to this host only: HTTP and the
 * WebSocket. ws:/wss: of the same host are listed as well as 'self' (CSP Level 3 lets 'self' match
 * them, and current browsers do; older Safari did not). Nothing inline, no frames, no form posts.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const sameHost = host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${sameHost}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const MISSING_BUNDLE =
  'The dashboard is not built: dist/dashboard/app.js is missing.\n' +
  'Build it with `npm run build:dashboard` (`npm start` and `npm test` build it first), then reload.\n';

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  res
    .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers })
    .end(text);
}

/** Handles a request under /dashboard (the server's HTTP handler routes them here). */
export async function serveDashboard(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  try {
    const route = ROUTES[pathname];
    if (!route) return plain(res, 404, 'Not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed\n', { allow: 'GET, HEAD' });
    const asset = await load(route.file);
    // the page without its script would be a blank form: say what is missing instead
    const bundle = route.html ? await load(BUNDLE_FILE) : asset;
    if (!asset || !bundle) return plain(res, route.file === BUNDLE_FILE || route.html ? 503 : 404, route.file === BUNDLE_FILE || route.html ? MISSING_BUNDLE : 'Not found\n');

    const encoding = negotiate(req.headers['accept-encoding'] as string | undefined);
    const etag = `"${asset.tag}${encoding ? `-${encoding}` : ''}"`;
    const headers: Record<string, string> = {
      etag,
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    };
    if (route.html) {
      headers['content-security-policy'] = contentSecurityPolicy(req.headers.host);
      headers['referrer-policy'] = 'no-referrer';
      headers['x-frame-options'] = 'DENY';
    }
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
      res.writeHead(304, headers).end();
      return;
    }
    const body = encoding ? asset[encoding] : asset.identity;
    headers['content-type'] = route.type;
    headers['content-length'] = String(body.length);
    if (encoding) headers['content-encoding'] = encoding;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    if (!res.headersSent) plain(res, 500, 'The dashboard could not be served\n');
    else res.destroy();
  }
}
