// buildServer(): one HTTP server for GraphQL over HTTP (and the playground), health checks, and
// (later) graphql-ws and SSE on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { RequestCache } from '@pothos/plugin-scope-auth';
import { getOperationAST, GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { EventHub } from './events/hub';
import type { Config } from './config';
import type { Database } from './db/client';
import { writeOutboxes, type EventSink } from './domain/context';
import { ActionExecutor, recordEdrResult, type ExecutorOptions } from './domain/executor';
import { Notifier, type NotifierOptions } from './domain/notifications/delivery';
import { OutboundDeliverer, type OutboundOptions } from './domain/outbound/delivery';
import { Secrets } from './domain/secrets';
import { ReportLinks, REPORT_PATH } from './domain/report/links';
import { reportPageHandler } from './domain/report/page';
import { encodeGlobalId } from './graphql/global-ids';
import { createLoaders } from './domain/loaders';
import { hashToken, isWellFormedToken, sameAccess, TokenCache } from './domain/tokens';
import { ACCESS_CHANGED, accessLostError, AccessWatch, REVOKED, useAccessWatch, type AccessListener, type WatchedSession } from './graphql/access-watch';
import { RateLimitedError, RateLimits, useRateLimit } from './graphql/rate-limit';
import type { Viewer } from './domain/viewer';
import type { GraphQLContext } from './graphql/context';
import { maskError } from './graphql/errors';
import { limitPlugins } from './graphql/limits';
import { schema } from './graphql/schema';
import { useQueueFastPath } from './graphql/queue-fast-path';
import { SharedSubscriptions, shareKey } from './graphql/shared-subscriptions';
import { startLean, useLeanSubscribe } from './graphql/lean-subscriptions';
import type { Logger } from './log';
import { observeHttp, observeWebSockets, ScopedWebSocket } from './observability/http';
import { ServiceMetrics } from './observability/metrics';
import { Playground } from './observability/playground';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './connectors/edr';
import { serveDashboard } from './dashboard/serve';
import { PersistedDocuments } from './persisted/documents';
import { loadManifest } from './persisted/manifest';
import { actionAttempts, tenants } from './db/schema';
import { queueCache } from './domain/queue-cache';
import { eq } from 'drizzle-orm';

export interface ServerDeps {
  config: Config;
  database: Database;
  log: Logger;
  events?: EventSink;
  /** Test hooks for the action executor (e.g. a connector that hangs). */
  executor?: Partial<ExecutorOptions>;
  /** Test hooks for the notification deliverer (e.g. the tenants it may deliver for). */
  notifier?: Partial<NotifierOptions>;
  /** Test hooks for the webhook and sync deliverer. */
  outbound?: Partial<OutboundOptions>;
}

export interface RunningServer {
  url: string;
  port: number;
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  http: Server;
  executor: ActionExecutor;
  notifier: Notifier;
  outbound: OutboundDeliverer;
  hub: EventHub;
  wss: WebSocketServer;
  /** Prometheus metrics (GET /metrics), this server's own registry. */
  metrics: ServiceMetrics;
  /** graphql-ws subscriptions open right now (identical ones share one hub listener). */
  readonly subscriptions: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A token that resolved, with its hash (the access watch and the rate limit key on it). */
interface Authenticated {
  viewer: Viewer;
  tokenHash: string;
  /** The session is a graphql-ws socket, watched as a whole. */
  socket?: boolean;
}

type WsExtra = {
  socket: ServerSocket;
  request?: IncomingMessage;
  auth?: Authenticated;
  clientAddress?: string;
};

/** The playground document a notification's link opens: the incident, its actions and its chat. */
const incidentQuery = (id: string) => `# The incident this notification is about. Paste your token into Headers: { "Authorization": "Bearer mdr_..." }
{
  node(id: ${JSON.stringify(id.replace(/[^A-Za-z0-9+/=]/g, ''))}) {
    ... on Incident {
      number title severity status assignment classification determination
      managedResponse {
        investigationSummary { narrative }
        actions { title kind status leftToCustomerReason viewerCanPerform viewerCanSkip }
      }
    }
  }
}
`;

/** How long a socket may take to send connection_init (graphql-ws's default, which this keeps). */
const CONNECTION_INIT_WAIT_MS = 3_000;

/**
 * The server side of a graphql-ws socket (the WebSocketServer makes these): its events in its
 * connection's request-id scope (ScopedWebSocket), and two changes to what graphql-ws sees, as
 * methods rather than closures per socket.
 */
class ServerSocket extends ScopedWebSocket implements AccessListener {
  /** The access watch's session of an authenticated socket (onConnect). */
  session: WatchedSession | null = null;

  /** AccessListener: the token lost its access, so does the socket, and every operation on it. */
  accessLost(reason: string): void {
    this.close(4403, reason);
  }

  /**
   * graphql-ws waits until each message has been handed to the kernel before it takes the next
   * event, so a client that stops reading would stall its subscriptions while onNext (below)
   * never sees more than one message unsent: the client was never dropped. Hand messages to the
   * socket without waiting instead; what the client has not read shows in bufferedAmount.
   */
  override send(data: any, ...rest: any[]): void {
    super.send(data);
    const cb = rest.find((a) => typeof a === 'function') as ((err?: Error) => void) | undefined;
    cb?.();
  }

  /**
   * Messages arrive as text: graphql-ws reads them as text anyway (String(data)), and it holds
   * the message it was given for as long as the operation it starts runs. The received Buffer (an
   * object, an ArrayBuffer and the bytes) would stay with every open subscription; its text does
   * already, so the Buffer is dropped.
   */
  override emit(event: string | symbol, ...args: any[]): boolean {
    if (event === 'message' && Buffer.isBuffer(args[0])) args[0] = args[0].toString();
    return super.emit(event, ...args);
  }
}

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

export function buildServer(deps: ServerDeps): RunningServer {
  const { config, database, log } = deps;
  const tokens = new TokenCache(config.tokenCacheTtlMs);
  queueCache.maxBytes = config.queueCacheBytes;
  // open sockets and streams lose access within the token cache time, like requests do
  const watch = new AccessWatch(database.db, tokens, log);
  const rateLimits = new RateLimits(config.security.rateLimitPerMinute, config.realtime.redisUrl, log);
  const hub = new EventHub(database, log, { redisUrl: config.realtime.redisUrl, maxReplayEvents: config.security.maxReplayEvents });
  const publicUrl = () => (config.publicUrl ?? `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${server.port}`).replace(/\/+$/, '');
  const notifier = new Notifier(database, log, {
    pollMs: config.execution.pollMs,
    leaseMs: config.execution.leaseMs,
    ...config.notifications,
    providerName: config.providerName,
    publicUrl,
    incidentLink: (incidentId) => `${publicUrl()}/incidents/${encodeURIComponent(encodeGlobalId('Incident', incidentId))}`,
    ...deps.notifier,
  });
  const secrets = Secrets.fromConfig(config.secretsKey, config.dataDir);
  const reportLinks = new ReportLinks(secrets, publicUrl, config.reportLinkTtlMs);
  const reportPage = reportPageHandler({ database, links: reportLinks, providerName: config.providerName, log });
  const outbound = new OutboundDeliverer(database, log, {
    pollMs: config.execution.pollMs,
    leaseMs: config.execution.leaseMs,
    ...config.webhooks,
    allowPrivateTargets: config.notifications.allowPrivateTargets,
    providerName: config.providerName,
    secrets,
    ...deps.outbound,
  });
  const sink: EventSink = deps.events ?? hub;
  // a commit that queued notifications or deliveries wakes this process's deliverers (the other
  // processes find the work at their next poll)
  const events: EventSink = {
    inTransaction: sink.inTransaction?.bind(sink),
    committed: (entries) => {
      metrics.committed(entries); // when this process saw the commit: the fan-out lag
      sink.committed(entries);
    },
    outboxWritten: (queued) => {
      if (queued.notifications > 0) notifier.wake();
      if (queued.outbound > 0) outbound.wake();
    },
  };
  const executor = new ActionExecutor(database, events, log, {
    pollMs: config.execution.pollMs,
    leaseMs: config.execution.leaseMs,
    concurrency: config.execution.concurrency,
    tenantConcurrency: config.execution.tenantConcurrency,
    publicUrl,
    ...deps.executor,
  });
  const metrics = new ServiceMetrics({
    database,
    log,
    queues: [executor, notifier, outbound],
    hubSubscribers: () => hub.size,
    webSockets: () => wss.clients.size,
    queueCacheLookups: () => ({ hit: queueCache.hits, stale: queueCache.stale, miss: queueCache.misses }),
  });
  hub.observer = metrics.hubObserver;
  // the playground page as yoga renders it, compressed and cached (src/observability/playground.ts)
  const playground = new Playground(async () => {
    const res = await yoga.fetch('http://localhost/graphql', { headers: { accept: 'text/html' } });
    if (!res.ok || !res.headers.get('content-type')?.includes('text/html')) throw new Error(`the playground did not render (${res.status})`);
    return res.text();
  });

  /** What withBoundedBody found for a request's Authorization header (a token that resolved, or none). */
  const authenticatedRequests = new WeakMap<IncomingMessage, { header: string | null; auth: Authenticated | null }>();

  /** The viewer behind an Authorization value ("Bearer <token>"); null when there is none. */
  async function authenticate(header: string | null | undefined): Promise<Authenticated | null> {
    if (!header) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
    const tokenHash = isWellFormedToken(match[1]) ? hashToken(match[1]) : null;
    const viewer = tokenHash ? await tokens.resolveHash(database.db, tokenHash) : null;
    if (!viewer || !tokenHash) throw unauthenticated('The token is unknown or revoked, or its principal is disabled');
    return { viewer, tokenHash };
  }

  /**
   * What every operation's context shares, made once per server. An HTTP request's context gets a
   * copy (yoga owns that object); a graphql-ws operation's context inherits it as its prototype
   * (onSubscribe makes its initial context from it). An idle subscription holds its context for
   * its whole life: copying these fields into each one, with four closures made per context, came
   * to a 26-property dictionary and ~3 KB per subscriber. Nothing copies or enumerates a context
   * (a spread or Object.keys would miss inherited fields), and nothing writes these fields.
   */
  const sharedContext = {
    db: database.db,
    database,
    providerName: config.providerName,
    events,
    execution: { actionTimeoutMs: config.execution.actionTimeoutMs },
    actionsQueued: () => executor.wake(),
    outbox: writeOutboxes,
    notifications: { allowPrivateTargets: config.notifications.allowPrivateTargets, queued: () => notifier.wake() },
    secrets,
    reportLinks,
    outboundQueued: () => outbound.wake(),
    log,
    hub,
    subscriberBuffer: config.realtime.subscriberBuffer,
  } satisfies Partial<GraphQLContext>;

  /**
   * What a graphql-ws operation's context inherits (onSubscribe makes it from this): sharedContext,
   * and its loaders and replay charge, each made when first read (and then its own). An idle
   * subscription's context holds neither: a subscription's resolvers make fresh loaders per event
   * anyway (src/graphql/subscriptions.ts), and only a resume charges a replay.
   */
  const ownValue = <T>(ctx: object, key: string, value: T): T => {
    Object.defineProperty(ctx, key, { value, writable: true, enumerable: true, configurable: true });
    return value;
  };
  const socketContext: object = Object.create(sharedContext, {
    loaders: {
      get(this: GraphQLContext) {
        return ownValue(this, 'loaders', createLoaders(database.db, this.viewer));
      },
      set(this: GraphQLContext, loaders: GraphQLContext['loaders']) {
        ownValue(this, 'loaders', loaders);
      },
    },
    chargeReplay: {
      get(this: GraphQLContext) {
        return ownValue(this, 'chargeReplay', rateLimits.chargeReplay.bind(rateLimits, `t:${this.auth!.tokenHash}`));
      },
      set(this: GraphQLContext, charge: GraphQLContext['chargeReplay']) {
        ownValue(this, 'chargeReplay', charge);
      },
    },
  });

  // trusted documents by hash on every transport (src/persisted/documents.ts)
  const persisted = new PersistedDocuments({ manifest: loadManifest(), only: config.security.persistedDocumentsOnly });
  const masking = maskError(log, { production: config.production, debug: config.security.debugErrors });
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // every body yoga reads has been read and bounded by withBoundedBody (below) already; yoga's
    // own limit would pipe it once more through a web TransformStream per request (an abort
    // signal, a DOMException and stream machinery each time: ~5 % of a queue request's CPU)
    maxRequestBodySize: false,
    landingPage: false,
    logging: false,
    graphiql: {
      title: 'MDR incident service',
      // subscriptions over SSE: the headers you set (the bearer token) go with them
      subscriptionsProtocol: 'SSE',
      defaultQuery: `# Paste a demo token into the headers tab: { "Authorization": "Bearer mdr_..." }\n{\n  viewer { role principal { name } tenant { name } }\n  incidents(first: 10) {\n    totalCount\n    nodes { number title severity status assignment }\n  }\n}\n`,
    },
    // the playground's page (~9 MB of HTML in the module) is loaded when first asked for, not at
    // every start (about 0.1 s of the service's start-up)
    renderGraphiQL: async (opts) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(opts),
    maskedErrors: { maskError: masking },
    context: async (initial) => {
      // HTTP carries the token in the Authorization header; graphql-ws in connectionParams,
      // checked at connection_init and again at each operation (the viewer travels with the socket).
      const ws = initial as unknown as { auth?: Authenticated; req?: IncomingMessage; clientAddress?: string };
      if (Object.getPrototypeOf(initial) === socketContext) {
        // a graphql-ws operation (onSubscribe, below): its initial context inherits what every
        // context shares (and makes its loaders and replay charge when first used) and carries
        // the socket's auth and address; the viewer is all that is added
        return { viewer: ws.auth!.viewer } satisfies Partial<GraphQLContext> as unknown as GraphQLContext;
      }
      // over HTTP, withBoundedBody has looked this very header up already
      const header = initial.request?.headers.get('authorization') ?? null;
      const known = ws.req ? authenticatedRequests.get(ws.req) : undefined;
      const auth = ws.auth ?? (known && known.header === header ? known.auth : await authenticate(header));
      const viewer = auth?.viewer ?? null;
      const rateKey = auth ? `t:${auth.tokenHash}` : `a:${ws.req?.socket?.remoteAddress ?? 'unknown'}`;
      return {
        ...sharedContext,
        viewer,
        loaders: createLoaders(database.db, viewer),
        auth: auth ? { tokenHash: auth.tokenHash, socket: auth.socket } : undefined,
        clientAddress: ws.clientAddress ?? ws.req?.socket?.remoteAddress,
        chargeReplay: rateLimits.chargeReplay.bind(rateLimits, rateKey),
      } satisfies GraphQLContext;
    },
    // browsers may call the API from the configured origins only (the API takes credentials)
    cors: ((request: Request) => {
      const origin = request.headers.get('origin');
      if (!origin || !config.security.corsOrigins.includes(origin)) return false;
      return { origin: [origin], credentials: true, methods: ['GET', 'POST'], allowedHeaders: ['authorization', 'content-type', 'accept'], maxAge: 600 };
    }) as never,
    plugins: [
      metrics.yogaPlugin(),
      ...limitPlugins(config.limits),
      useRateLimit(rateLimits),
      useAccessWatch(watch),
      ...persisted.plugins(),
      // the plain queue (`incidents { nodes { ... } }`) answered with the JSON Postgres writes,
      // after every check above, before the executor (src/graphql/queue-fast-path.ts)
      useQueueFastPath(),
      // graphql-jit's compiled subscribe passes the variables where the field arguments belong:
      // subscriptions run on graphql-js, queries and mutations on the JIT.
      useGraphQlJit({}, { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation !== 'subscription' }),
      // last: a shared graphql-ws subscription keeps only its source stream and its arguments
      // (src/graphql/lean-subscriptions.ts), every hook above having run
      useLeanSubscribe(),
    ],
  });

  const http = createServer(
    {
      // a request (headers and body) must arrive within the timeout: slow senders are cut off
      requestTimeout: config.security.requestTimeoutMs,
      headersTimeout: Math.min(config.security.requestTimeoutMs, 60_000),
      connectionsCheckingInterval: Math.min(1_000, config.security.requestTimeoutMs),
    },
    // request ids, HTTP metrics, GET /metrics and the compressed playground come first
    observeHttp({ metrics, log, playground, metricsToken: config.metricsToken }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      database
        .query('select 1')
        .then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}'))
        .catch((err: unknown) => {
          log.warn({ err }, 'readiness check failed');
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"database unavailable"}');
        });
      return;
    }
    if (path === '/connectors/edr/callback' && req.method === 'POST') {
      void edrCallback(req, res);
      return;
    }
    // the monthly service report's page, behind a short-lived signed link (src/domain/report/)
    if (path === REPORT_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      void reportPage(req, res);
      return;
    }
    // the read-only operations dashboard and its bundle (src/dashboard/)
    if (path === '/dashboard' || path.startsWith('/dashboard/')) {
      void serveDashboard(req, res, path);
      return;
    }
    if (path === '/') {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
    // the link in every notification: the incident, opened in the playground
    const incidentLink = /^\/incidents\/([A-Za-z0-9+/=%]{1,200})$/.exec(path);
    if (incidentLink && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(302, { location: `/graphql?query=${encodeURIComponent(incidentQuery(decodeURIComponent(incidentLink[1])))}` }).end();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
      void yoga.handle(req, res);
      return;
    }
    void withBoundedBody(req, res).then((ok) => {
      if (ok) void yoga.handle(req, res);
    });
  }),
  );

  /**
   * Read a request body up to its limit before GraphQL sees it: small without a valid token,
   * larger with one (ingestion carries evidence). Over it: 413, and nothing is parsed.
   */
  async function withBoundedBody(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const tooLarge = (limit: number) => {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: `The request body exceeds ${limit} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }));
      req.destroy();
      return false;
    };
    let limit = config.security.maxUnauthenticatedBodyBytes;
    try {
      const header = req.headers.authorization ?? null;
      const auth = await authenticate(header);
      // the context takes it from here rather than hashing and looking up the token again
      authenticatedRequests.set(req, { header, auth });
      if (auth) limit = config.security.maxBodyBytes;
    } catch {
      // a bad token: the small limit, and GraphQL answers UNAUTHENTICATED (the context looks again)
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) return tooLarge(limit);
    // read with plain stream events: an async iterator per request (for await) cost more here
    // than the rest of reading the body (the queue benchmark's profile)
    const read = await new Promise<Buffer | 'too large' | null>((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (value: Buffer | 'too large' | null) => {
        // ('error' stays handled: a late one must not become an uncaught exception)
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('close', onGone);
        resolve(value);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) done('too large');
        else chunks.push(chunk);
      };
      const onEnd = () => done(Buffer.concat(chunks));
      const onGone = () => done(null); // the client went away or timed out
      req.on('data', onData);
      req.once('end', onEnd);
      req.on('error', onGone);
      req.once('close', onGone);
    });
    if (read === 'too large') return tooLarge(limit);
    if (read === null) return false;
    // @whatwg-node (under yoga) takes an already-read body from `req.body`
    (req as IncomingMessage & { body?: Buffer }).body = read;
    return true;
  }

  /** A remote EDR reports an action's result, signed with the tenant's EDR secret. */
  async function edrCallback(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > 64 * 1024) return send(413, { error: 'body too large' });
        chunks.push(chunk as Buffer);
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: { attemptId?: unknown; status?: unknown; reason?: unknown; result?: unknown };
      try {
        body = JSON.parse(raw);
      } catch {
        return send(400, { error: 'body must be JSON' });
      }
      const attemptId = typeof body.attemptId === 'string' && /^[0-9a-f-]{36}$/i.test(body.attemptId) ? body.attemptId : null;
      if (!attemptId || (body.status !== 'COMPLETED' && body.status !== 'FAILED')) {
        return send(400, { error: 'expected { attemptId, status: COMPLETED | FAILED, reason?, result? }' });
      }
      const [row] = await database.db
        .select({ secret: tenants.edrSecret })
        .from(actionAttempts)
        .innerJoin(tenants, eq(tenants.id, actionAttempts.tenantId))
        .where(eq(actionAttempts.id, attemptId));
      const ts = req.headers[TIMESTAMP_HEADER];
      const sig = req.headers[SIGNATURE_HEADER];
      if (!row?.secret || !verifySignature(row.secret, typeof ts === 'string' ? ts : null, raw, typeof sig === 'string' ? sig : null)) {
        return send(401, { error: 'invalid signature' });
      }
      const reason = typeof body.reason === 'string' ? body.reason : null;
      if (reason !== null && (reason.includes('\u0000') || reason.length > 2_000)) {
        return send(400, { error: 'reason must be text of at most 2000 characters without NUL' });
      }
      // what the responder found (scan findings, package reference), kept on the attempt
      const result = typeof body.result === 'string' ? body.result : null;
      if (result !== null && (result.includes('\u0000') || result.length > 2_000)) {
        return send(400, { error: 'result must be text of at most 2000 characters without NUL' });
      }
      const outcome = await recordEdrResult(database, events, attemptId, { status: body.status, reason, result });
      send(200, { status: outcome });
    } catch (err) {
      log.error({ err }, 'EDR callback failed');
      send(500, { error: 'internal error' });
    }
  }

  // graphql-ws on the same port and path; operations go through the same yoga plugins, context
  // factory and scope checks as HTTP (yoga's graphql-ws recipe).
  // every message is bounded by maxPayload (close 1009); before connection_ack, by the smaller
  // connection_init limit (below), so an unauthenticated socket cannot make the server buffer much
  const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: config.security.maxWsMessageBytes, WebSocket: ServerSocket });
  observeWebSockets(wss, log); // one request id per connection, on its log lines
  // identical subscriptions share one lean execution; between its events it drops scope-auth's
  // cache of its context (~1.6 KB, rebuilt by the next event: its scopes depend only on the
  // viewer), which every idle execution would hold
  const sharedSubscriptions = new SharedSubscriptions({
    maxBuffer: config.realtime.subscriberBuffer,
    mask: masking,
    idle: (context) => RequestCache.clearForContext(context as object),
  });
  // What every socket needs besides graphql-ws is made once and shared (EventEmitter calls a
  // listener with its socket as `this`; ServerSocket's methods): closures made per socket are held
  // for the socket's life, with their scopes. Under tsx each costs ~250 bytes more: it compiles
  // with esbuild's keepNames, which names every function written as a variable or a property
  // through Object.defineProperty, and that gives the function a property table of its own.
  const maxInitBytes = config.security.maxConnectionInitBytes;
  /** The connection_init bound: listens until onConnect has authenticated the socket. */
  const connectionInitGuard = function (this: WebSocket, data: string | Buffer | ArrayBuffer | Buffer[]) {
    const size =
      typeof data === 'string' ? Buffer.byteLength(data) : Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
    if (size > maxInitBytes) this.close(1009, `connection_init is limited to ${maxInitBytes} bytes`);
  };
  // graphql-ws's connection_init timeout, as graphql-ws has it (3 s, close 4408), but with no timer
  // kept per socket: graphql-ws's stays referenced (~260 bytes) for the socket's life
  const initialised = new WeakSet<WebSocket>();
  const closeUninitialised = (socket: WebSocket) => {
    if (!initialised.has(socket)) socket.close(4408, 'Connection initialisation timeout');
  };
  // Keep-alive, as graphql-ws has it (a ping every keepAliveMs; no pong by the next one: terminated),
  // but one timer for every socket instead of a timer and closures per socket
  const keepAliveMs = config.realtime.keepAliveMs;
  let awaitingPong = new Set<WebSocket>();
  const ponged = function (this: WebSocket) {
    awaitingPong.delete(this);
  };
  let heartbeat: NodeJS.Timeout | null = null;
  const beat = () => {
    const unanswered = awaitingPong;
    awaitingPong = new Set();
    for (const socket of wss.clients) {
      if (unanswered.has(socket)) socket.terminate();
      else if (socket.readyState === WebSocket.OPEN) {
        awaitingPong.add(socket);
        socket.ping();
      }
    }
  };
  /** The root value of graphql-ws operations: yoga's execute and subscribe, which the hooks below call. */
  let roots: { execute: unknown; subscribe: unknown } = { execute: null, subscribe: null };
  /** The close listener of an authenticated socket: its access is no longer watched. */
  const endSession = function (this: WebSocket) {
    const socket = this as ServerSocket;
    socket.session?.end();
    socket.session = null;
  };
  wss.on('connection', (socket) => {
    // registered before graphql-ws's own listener, so it sees each message first
    socket.on('message', connectionInitGuard);
    socket.on('pong', ponged);
    setTimeout(closeUninitialised, CONNECTION_INIT_WAIT_MS, socket).unref();
  });
  const wsServer = useServer<Record<string, unknown>, WsExtra>(
    // operations, open subscriptions and deliveries are counted around these hooks
    metrics.instrumentWs<Record<string, unknown>, WsExtra>({
      connectionInitWaitTimeout: 0, // see closeUninitialised above
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      // identical subscriptions (same document, variables, role and tenants) share one execution,
      // lean: its source stream and arguments, no subscribe wrappers around them
      subscribe: (args) => {
        const key = shareKey(args);
        const subscribe = (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe;
        return sharedSubscriptions.subscribe(key, key ? () => startLean(args, subscribe) : () => subscribe(args), args.contextValue);
      },
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        initialised.add(socket); // graphql-ws calls this when connection_init arrives
        if (socket.readyState !== socket.OPEN) return false; // the size guard closed it
        // the parameter's name in any letter case (clients differ: authorization, Authorization)
        const key = Object.keys(ctx.connectionParams ?? {}).find((k) => k.toLowerCase() === 'authorization');
        const header = key ? ctx.connectionParams![key] : null;
        let auth: Authenticated | null = null;
        try {
          auth = await authenticate(typeof header === 'string' ? header : null);
        } catch (err) {
          if (!(err instanceof GraphQLError)) {
            // the database, not the token: a retryable close, so clients reconnect
            log.warn({ err }, 'could not check a WebSocket token');
            socket.close(1013, 'Try again later');
            return false;
          }
        }
        if (socket.readyState !== socket.OPEN) return false; // gone while we looked the token up
        if (!auth) {
          socket.close(4401, header ? 'Unauthorized: the token is unknown or revoked, or its principal is disabled' : 'Unauthorized: connectionParams.authorization must be "Bearer <token>"');
          return false;
        }
        socket.off('message', connectionInitGuard);
        // the whole socket is watched: lost access closes it, ending every operation on it (the
        // socket is told, ServerSocket.accessLost: no promise, reaction or closure per socket;
        // `on`, not `once`, for the close: a socket closes once, and `once` wraps each listener in
        // three more objects)
        const session = watch.watch(auth.tokenHash, auth.viewer, socket);
        socket.session = session;
        socket.on('close', endSession);
        // the session's viewer and hash: equal to these, but shared by the token's open sessions.
        // (Spelled out: a spread copy got a hidden class of its own here, ~170 bytes per socket.)
        ctx.extra.auth = { viewer: session.viewer, tokenHash: session.tokenHash, socket: true };
        ctx.extra.clientAddress = ctx.extra.request?.socket?.remoteAddress;
        // graphql-ws would hold the upgrade request (headers and all) for the socket's lifetime;
        // nothing reads it after this point (the viewer travels with the socket): ~1.3 KB each.
        // Nor the connection parameters: the token, read once, need not stay in memory either.
        (ctx.extra as { request?: unknown }).request = undefined;
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
        // graphql-ws has already counted this operation in ctx.subscriptions; count before any
        // await, so operations sent in one burst are counted against each other
        if (Object.keys(ctx.subscriptions).length > config.security.maxOperationsPerConnection) {
          return [
            new GraphQLError(`At most ${config.security.maxOperationsPerConnection} operations at once on one connection; complete some first`, {
              extensions: { code: 'TOO_MANY_OPERATIONS' },
            }),
          ];
        }
        const socket = ctx.extra.socket;
        const auth = ctx.extra.auth!;
        // each operation re-checks the principal (through the token cache)
        let now: Viewer | null;
        try {
          now = await tokens.resolveHash(database.db, auth.tokenHash);
        } catch (err) {
          log.warn({ err }, 'could not re-check a WebSocket token');
          return [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
        }
        if (!now || !sameAccess(now, auth.viewer)) {
          socket.close(4403, now ? ACCESS_CHANGED : REVOKED);
          return [accessLostError(now ? ACCESS_CHANGED : REVOKED)];
        }
        try {
          await rateLimits.consume(`t:${auth.tokenHash}`);
        } catch (err) {
          if (err instanceof RateLimitedError) return [err];
          throw err;
        }
        // the operation's context: what every context shares by inheritance (socketContext), the
        // subscribe payload as `params` (the metrics and persisted documents read it), the socket's
        // auth and address, then the context factory's own part. Not graphql-ws's connection
        // context, socket or upgrade request: nothing reads them there, and every idle
        // subscription would hold a copy of their fields.
        const initialContext = Object.create(socketContext) as Record<string, unknown>;
        initialContext.params = params;
        initialContext.auth = auth;
        initialContext.clientAddress = ctx.extra.clientAddress;
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(initialContext);
        let document: ReturnType<typeof parse>;
        let contextValue: Awaited<ReturnType<typeof contextFactory>>;
        try {
          // the text, or the persisted document its hash names (the same rules as over HTTP)
          document = parse(persisted.queryOf(params));
          contextValue = await contextFactory();
        } catch (err) {
          // a syntax error is the client's, answered on the operation; anything else is masked
          // (graphql-ws would otherwise close the socket with the error's text as the reason)
          if (err instanceof GraphQLError) return [err];
          log.error({ err }, 'unexpected error preparing a WebSocket operation');
          return [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
        }
        // (the same pair every time, unless a plugin wraps them per call: then one object each)
        if (roots.execute !== execute || roots.subscribe !== subscribe) roots = { execute, subscribe };
        const args = {
          schema: s,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: roots,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        // (its loaders are made on first use: see socketContext)
        return args;
      },
      onNext: (ctx) => {
        // a client that does not read: drop it rather than buffer without bound
        if (ctx.extra.socket.bufferedAmount > config.realtime.maxSocketBufferBytes) {
          log.warn({ buffered: ctx.extra.socket.bufferedAmount }, 'dropping a WebSocket client that does not read');
          ctx.extra.socket.terminate();
        }
      },
    }),
    wss,
    0, // keep-alive: `beat` above
  );

  const server: RunningServer = {
    url: '',
    port: 0,
    yoga,
    http,
    executor,
    notifier,
    outbound,
    hub,
    wss,
    metrics,
    get subscriptions() {
      return sharedSubscriptions.active;
    },
    start: () =>
      new Promise((resolve, reject) => {
        watch.start();
        if (keepAliveMs > 0 && Number.isFinite(keepAliveMs)) {
          heartbeat ??= setInterval(beat, keepAliveMs);
          heartbeat.unref();
        }
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const addr = http.address() as AddressInfo;
          server.port = addr.port;
          const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
          server.url = `http://${host}:${addr.port}/graphql`;
          if (config.execution.enabled) executor.start();
          if (config.notifications.enabled) notifier.start();
          if (config.webhooks.enabled) outbound.start();
          hub.start().then(resolve, reject);
        });
      }),
    stop: async () => {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      await watch.stop();
      await rateLimits.close();
      await executor.stop();
      await notifier.stop();
      await outbound.stop();
      for (const client of wss.clients) client.terminate();
      await wsServer.dispose();
      await hub.stop();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
  return server;
}
