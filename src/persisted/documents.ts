// Persisted (trusted) documents on every transport: a client may send a document's hash instead of
// its text.
//
//   documentId: "sha256:<hex>"  (the key in schema/persisted-documents.json; plain <hex> is accepted)
//     HTTP POST body `{ "documentId": …, "variables": … }`, GET `?documentId=…`, SSE either way,
//     graphql-ws subscribe payload `{ "query": "", "documentId": … }`
//   Apollo APQ: extensions.persistedQuery = { version: 1, sha256Hash: "<hex>" } (same places)
//
// Over HTTP and SSE, yoga's @graphql-yoga/plugin-persisted-operations looks the hash up and refuses
// text in persisted-only mode; the small plugin before it turns `documentId` into the APQ form and
// checks a hash sent together with text. graphql-ws does not go through yoga's request pipeline:
// server.ts's onSubscribe asks `queryOf(params)`, which applies the same store and rules.
//
// The store: the trusted manifest (built at build time, src/persisted/manifest.ts), plus, unless
// PERSISTED_DOCUMENTS_ONLY is set, a bounded in-memory APQ cache: a client that sends a hash with
// its text registers it, once the hash is checked against the text and an authenticated operation
// with it has passed validation. In persisted-only mode nothing is ever registered and only the
// manifest's documents run.
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Manifest } from './manifest';

const HEX64 = /^[0-9a-f]{64}$/i;

type Params = { query?: unknown; documentId?: unknown; extensions?: unknown };

const error = (message: string, code: string, status: number) =>
  new GraphQLError(message, { extensions: { code, http: { status } } });

export const persistedErrors = {
  // message and code as Apollo's clients expect them: they resend the hash with the text
  notFound: () => error('PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND', 404),
  only: () =>
    error(
      'Only persisted documents are accepted: send "documentId": "sha256:<hex>" (or extensions.persistedQuery.sha256Hash) of a document in schema/persisted-documents.json, without its text',
      'PERSISTED_DOCUMENTS_ONLY',
      400,
    ),
  mismatch: () => error('The document text does not match its hash: the id must be the SHA-256 of the exact text sent', 'PERSISTED_QUERY_HASH_MISMATCH', 400),
  missing: (only: boolean) =>
    // the text yoga gives a request without a query, so clients see what they always saw
    only ? error('Must provide a documentId ("sha256:<hex>") or extensions.persistedQuery.sha256Hash.', 'BAD_REQUEST', 400) : error('Must provide query string.', 'BAD_REQUEST', 400),
  bad: (message: string) => error(message, 'BAD_REQUEST', 400),
};

/** The normalised id (`sha256:<lowercase hex>`) a request names, from either form; null when none. */
export function requestedId(params: Params, url?: string): string | null {
  let fromDocumentId: string | null = null;
  const raw = params.documentId ?? (url ? new URL(url).searchParams.get('documentId') : null);
  if (raw != null && raw !== '') {
    const hex = typeof raw === 'string' ? raw.replace(/^sha256:/i, '') : '';
    if (!HEX64.test(hex)) throw persistedErrors.bad('documentId must be "sha256:" followed by 64 hexadecimal digits (the key in schema/persisted-documents.json)');
    fromDocumentId = `sha256:${hex.toLowerCase()}`;
  }
  let fromApq: string | null = null;
  const pq = (params.extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery;
  if (pq != null) {
    const { version, sha256Hash } = pq as { version?: unknown; sha256Hash?: unknown };
    if (version !== 1) throw persistedErrors.bad('extensions.persistedQuery.version must be 1');
    if (typeof sha256Hash !== 'string' || !HEX64.test(sha256Hash)) throw persistedErrors.bad('extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits');
    fromApq = `sha256:${sha256Hash.toLowerCase()}`;
  }
  if (fromDocumentId && fromApq && fromDocumentId !== fromApq) throw persistedErrors.bad('documentId and extensions.persistedQuery.sha256Hash name different documents');
  return fromDocumentId ?? fromApq;
}

const idOf = (text: string) => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;

/** Least recently used documents, bounded in count and in bytes. */
export class ApqCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
    readonly maxDocumentBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): string | undefined {
    const text = this.entries.get(id);
    if (text !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, text);
    }
    return text;
  }

  /** Store `text` under its own hash (the caller's id is never trusted). */
  set(text: string): void {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > this.maxDocumentBytes || this.maxEntries === 0) return;
    const id = idOf(text);
    if (this.entries.has(id)) {
      this.get(id);
      return;
    }
    this.entries.set(id, text);
    this.bytes += size;
    for (const [oldest, old] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= Buffer.byteLength(old, 'utf8');
    }
  }
}

export interface PersistedOptions {
  manifest: Manifest;
  /** PERSISTED_DOCUMENTS_ONLY: refuse document text; only the manifest's documents run. */
  only: boolean;
  /** APQ registrations kept (outside persisted-only mode). */
  cache?: { maxEntries: number; maxBytes: number; maxDocumentBytes: number };
}

export class PersistedDocuments {
  readonly only: boolean;
  private readonly trusted: Map<string, string>;
  readonly cache: ApqCache;

  constructor(opts: PersistedOptions) {
    this.only = opts.only;
    this.trusted = new Map(Object.entries(opts.manifest));
    const c = opts.cache ?? { maxEntries: 1_000, maxBytes: 8 * 1024 * 1024, maxDocumentBytes: 64 * 1024 };
    this.cache = new ApqCache(this.only ? 0 : c.maxEntries, c.maxBytes, c.maxDocumentBytes);
  }

  /** The text behind an id: the manifest's, else (outside persisted-only mode) a registered one. */
  lookup(id: string): string | undefined {
    return this.trusted.get(id) ?? (this.only ? undefined : this.cache.get(id));
  }

  /** A hash sent with text must be the text's hash; text is refused in persisted-only mode unless it is a trusted document. */
  private checkText(id: string, text: string): 'known' | 'new' {
    if (idOf(text) !== id) throw persistedErrors.mismatch();
    if (this.lookup(id) !== undefined) return 'known';
    if (this.only) throw persistedErrors.only();
    return 'new';
  }

  /**
   * graphql-ws: the document text of a subscribe payload (`query`, or the one its id names), with
   * the same rules as HTTP. Throws the typed GraphQLError to answer the operation with.
   */
  queryOf(params: Params): string {
    const id = requestedId(params);
    const text = typeof params.query === 'string' && params.query !== '' ? params.query : null;
    if (id) {
      if (text !== null) {
        this.checkText(id, text);
        return text;
      }
      const stored = this.lookup(id);
      if (stored === undefined) throw persistedErrors.notFound();
      return stored;
    }
    if (text === null) throw persistedErrors.missing(this.only);
    if (this.only) throw persistedErrors.only();
    return text;
  }

  /** An operation with a viewer that passed validation, sent as text with its hash: register it. */
  private register(contextValue: unknown): void {
    if (this.only) return;
    const { params, viewer } = (contextValue ?? {}) as { params?: Params; viewer?: unknown };
    if (!viewer || !params || typeof params.query !== 'string' || params.query === '') return;
    let id: string | null;
    try {
      id = requestedId(params);
    } catch {
      return;
    }
    if (!id || this.trusted.has(id) || idOf(params.query) !== id) return;
    this.cache.set(params.query);
  }

  /** Yoga plugins (HTTP GET/POST and SSE): the normaliser, then yoga's persisted-operations plugin. */
  plugins(): Plugin[] {
    const normalise: Plugin = {
      onParams: ({ params, request, setParams }) => {
        const p = params as Params & Record<string, unknown>;
        const id = requestedId(p, request.method === 'GET' ? request.url : undefined);
        if (!id) return;
        const { documentId: _drop, ...rest } = p;
        const hex = id.slice('sha256:'.length);
        const extensions = { ...((p.extensions as object | undefined) ?? {}), persistedQuery: { version: 1, sha256Hash: hex } };
        const text = typeof p.query === 'string' && p.query !== '' ? p.query : null;
        // text with a known hash runs as the stored document (the same text); a new one runs as text
        // (and is registered after validation, outside persisted-only mode)
        const known = text !== null && this.checkText(id, text) === 'known';
        setParams({ ...rest, query: known || text === null ? undefined : text, extensions } as typeof params);
      },
      onExecute: ({ args }) => this.register(args.contextValue),
      onSubscribe: ({ args }) => this.register(args.contextValue),
    };
    const yogaPlugin = usePersistedOperations({
      allowArbitraryOperations: !this.only,
      getPersistedOperation: (key) => this.lookup(`sha256:${key.toLowerCase()}`) ?? null,
      customErrors: {
        notFound: () => persistedErrors.notFound(),
        persistedQueryOnly: () => persistedErrors.only(),
        keyNotFound: () => persistedErrors.missing(this.only),
      },
    });
    return [normalise, yogaPlugin as Plugin];
  }
}
