// The GraphiQL playground is ~9 MB of inline HTML (renderGraphiQL bundles GraphiQL so that it works
// offline). Yoga would render and send it uncompressed on every open; here it is rendered once
// (through yoga itself, so it is exactly yoga's page), compressed once per encoding on first use
// (brotli ~1.9 MB, gzip ~2.4 MB, in the thread pool) and served with an ETag: a browser that has it
// revalidates (Cache-Control: no-cache) and gets 304 with no body.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

type Encoding = 'br' | 'gzip' | 'identity';

interface Rendered {
  /** The ETag without quotes or encoding suffix: a digest of the HTML. */
  tag: string;
  identity: Buffer;
}

/** Parse Accept-Encoding and pick br, then gzip, then identity (q=0 refuses). */
export function pickEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const accepts = (enc: string) => (q.get(enc) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return 'identity';
}

export class Playground {
  private rendered: Promise<Rendered> | null = null;
  private readonly encoded = new Map<Exclude<Encoding, 'identity'>, Promise<Buffer>>();

  /** `render` produces the page's HTML (called once, on the first request). */
  constructor(
    private readonly render: () => Promise<string>,
    private readonly path = '/graphql',
  ) {}

  /** What yoga answers with the playground: a browser's GET of the endpoint asking for HTML. */
  matches(req: IncomingMessage, path: string): boolean {
    return (req.method === 'GET' || req.method === 'HEAD') && (path === this.path || path === `${this.path}/`) && !!req.headers.accept?.includes('text/html');
  }

  private page(): Promise<Rendered> {
    if (!this.rendered) {
      this.rendered = this.render().then((html) => {
        const identity = Buffer.from(html, 'utf8');
        return { identity, tag: createHash('sha256').update(identity).digest('base64url').slice(0, 27) };
      });
      this.rendered.catch(() => {
        this.rendered = null; // try again on the next request
      });
    }
    return this.rendered;
  }

  private body(page: Rendered, encoding: Encoding): Promise<Buffer> {
    if (encoding === 'identity') return Promise.resolve(page.identity);
    let pending = this.encoded.get(encoding);
    if (!pending) {
      pending =
        encoding === 'br'
          ? brotli(page.identity, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: 5, // ~0.5 s once; 11 would take ~40 s for 8% less
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: page.identity.length,
                [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
              },
            })
          : gzip(page.identity, { level: 6 });
      this.encoded.set(encoding, pending);
      pending.catch(() => this.encoded.delete(encoding));
    }
    return pending;
  }

  /** Answer the request; resolves false (nothing sent) if the page could not be rendered. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let page: Rendered;
    try {
      page = await this.page();
    } catch {
      return false;
    }
    const encoding = pickEncoding(req.headers['accept-encoding'] as string | undefined);
    const etag = `"${page.tag}${encoding === 'identity' ? '' : `-${encoding}`}"`;
    const headers: Record<string, string | number> = {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      vary: 'Accept, Accept-Encoding',
      etag,
    };
    // any representation of this page is as good as the one asked for
    const given = (req.headers['if-none-match'] ?? '')
      .split(',')
      .map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
    if (given.some((t) => t === '*' || t === page.tag || t.startsWith(`${page.tag}-`))) {
      res.writeHead(304, headers).end();
      return true;
    }
    let body = page.identity;
    let sent: Encoding = 'identity';
    try {
      body = await this.body(page, encoding);
      sent = encoding;
    } catch {
      headers.etag = `"${page.tag}"`; // compression failed: the page as it is
    }
    if (sent !== 'identity') headers['content-encoding'] = sent;
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}
