// buildServer(): one HTTP server for GraphQL over HTTP (and the playground), health checks, and
// (later) graphql-ws and SSE on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { getOperationAST, GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { EventHub } from './events/hub';
import type { Config } from './config';
import type { Database } from './db/client';
import type { EventSink } from './domain/context';
import { ActionExecutor, recordEdrResult, type ExecutorOptions } from './domain/executor';
import { createLoaders } from './domain/loaders';
import { TokenCache } from './domain/tokens';
import type { Viewer } from './domain/viewer';
import type { GraphQLContext } from './graphql/context';
import { maskError } from './graphql/errors';
import { limitPlugins } from './graphql/limits';
import { schema } from './graphql/schema';
import { lazyLoaders } from './graphql/subscriptions';
import { SharedSubscriptions, shareKey } from './graphql/shared-subscriptions';
import type { Logger } from './log';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './connectors/edr';
import { actionAttempts, tenants } from './db/schema';
import { eq } from 'drizzle-orm';

export interface ServerDeps {
  config: Config;
  database: Database;
  log: Logger;
  events?: EventSink;
  /** Test hooks for the action executor (e.g. a connector that hangs). */
  executor?: Partial<ExecutorOptions>;
}

export interface RunningServer {
  url: string;
  port: number;
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  http: Server;
  executor: ActionExecutor;
  hub: EventHub;
  wss: WebSocketServer;
  /** graphql-ws subscriptions open right now (identical ones share one hub listener). */
  readonly subscriptions: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

export function buildServer(deps: ServerDeps): RunningServer {
  const { config, database, log } = deps;
  const tokens = new TokenCache(config.tokenCacheTtlMs);
  const hub = new EventHub(database, log, { redisUrl: config.realtime.redisUrl, maxReplayEvents: config.security.maxReplayEvents });
  const events: EventSink = deps.events ?? hub;
  const executor = new ActionExecutor(database, events, log, {
    pollMs: config.execution.pollMs,
    leaseMs: config.execution.leaseMs,
    concurrency: config.execution.concurrency,
    tenantConcurrency: config.execution.tenantConcurrency,
    publicUrl: () => config.publicUrl ?? `http://127.0.0.1:${server.port}`,
    ...deps.executor,
  });

  async function viewerFromAuthorization(header: string | null | undefined): Promise<Viewer | null> {
    if (!header) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
    const viewer = await tokens.resolve(database.db, match[1]);
    if (!viewer) throw unauthenticated('The token is unknown or revoked');
    return viewer;
  }

  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    graphiql: {
      title: 'MDR incident service',
      // subscriptions over SSE: the headers you set (the bearer token) go with them
      subscriptionsProtocol: 'SSE',
      defaultQuery: `# Paste a demo token into the headers tab: { "Authorization": "Bearer mdr_..." }\n{\n  viewer { role principal { name } tenant { name } }\n  incidents(first: 10) {\n    totalCount\n    nodes { number title severity status assignment }\n  }\n}\n`,
    },
    renderGraphiQL,
    maskedErrors: { maskError: maskError(log, { production: config.production, debug: config.security.debugErrors }) },
    context: async (initial) => {
      // HTTP carries the token in the Authorization header; graphql-ws in connectionParams,
      // already checked at connection_init (the viewer travels with the socket).
      const ws = initial as unknown as { viewer?: Viewer | null };
      const viewer =
        ws.viewer !== undefined ? ws.viewer : await viewerFromAuthorization(initial.request?.headers.get('authorization'));
      return {
        db: database.db,
        database,
        viewer,
        loaders: createLoaders(database.db, viewer),
        providerName: config.providerName,
        events,
        execution: { actionTimeoutMs: config.execution.actionTimeoutMs },
        actionsQueued: () => executor.wake(),
        log,
        hub,
        subscriberBuffer: config.realtime.subscriberBuffer,
      } satisfies GraphQLContext;
    },
    plugins: [
      ...limitPlugins(config.limits),
      // graphql-jit's compiled subscribe passes the variables where the field arguments belong:
      // subscriptions run on graphql-js, queries and mutations on the JIT.
      useGraphQlJit({}, { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation !== 'subscription' }),
    ],
  });

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
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
    if (path === '/') {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
    void yoga.handle(req, res);
  });

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
      let body: { attemptId?: unknown; status?: unknown; reason?: unknown };
      try {
        body = JSON.parse(raw);
      } catch {
        return send(400, { error: 'body must be JSON' });
      }
      const attemptId = typeof body.attemptId === 'string' && /^[0-9a-f-]{36}$/i.test(body.attemptId) ? body.attemptId : null;
      if (!attemptId || (body.status !== 'COMPLETED' && body.status !== 'FAILED')) {
        return send(400, { error: 'expected { attemptId, status: COMPLETED | FAILED, reason? }' });
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
      const outcome = await recordEdrResult(database, events, attemptId, {
        status: body.status,
        reason: typeof body.reason === 'string' ? body.reason : null,
      });
      send(200, { status: outcome });
    } catch (err) {
      log.error({ err }, 'EDR callback failed');
      send(500, { error: 'internal error' });
    }
  }

  // graphql-ws on the same port and path; operations go through the same yoga plugins, context
  // factory and scope checks as HTTP (yoga's graphql-ws recipe).
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const sharedSubscriptions = new SharedSubscriptions(config.realtime.subscriberBuffer);
  // graphql-ws waits until each message has been handed to the kernel before it takes the next
  // event, so a client that stops reading would stall its subscriptions while onNext (below)
  // never sees more than one message unsent: the client was never dropped. Hand messages to the
  // socket without waiting instead; what the client has not read shows in bufferedAmount.
  wss.on('connection', (socket) => {
    const send = socket.send.bind(socket);
    socket.send = ((data: Parameters<typeof send>[0], ...rest: unknown[]) => {
      send(data);
      const cb = rest.find((a) => typeof a === 'function') as ((err?: Error) => void) | undefined;
      cb?.();
    }) as typeof socket.send;
  });
  const wsServer = useServer<{ authorization?: string }, { viewer: Viewer | null }>(
    {
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      // identical subscriptions (same document, variables, role and tenants) share one execution
      subscribe: (args) =>
        sharedSubscriptions.subscribe(shareKey(args), () =>
          (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
        ),
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization;
        try {
          ctx.extra.viewer = await viewerFromAuthorization(typeof header === 'string' ? header : null);
          // graphql-ws would hold the upgrade request (headers and all) for the socket's lifetime;
          // nothing reads it after this point (the viewer travels with the socket): ~1.3 KB each
          (ctx.extra as { request?: unknown }).request = undefined;
          return true;
        } catch {
          return false; // closes the socket: 4403 Forbidden
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          viewer: ctx.extra.viewer ?? null,
        });
        const args = {
          schema: s,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        // a subscription makes its loaders per event, on first use: an idle one holds none
        if (getOperationAST(args.document, args.operationName)?.operation === 'subscription') {
          const context = args.contextValue as unknown as GraphQLContext;
          context.loaders = lazyLoaders(context);
        }
        return args;
      },
      onNext: (ctx) => {
        // a client that does not read: drop it rather than buffer without bound
        if (ctx.extra.socket.bufferedAmount > config.realtime.maxSocketBufferBytes) {
          log.warn({ buffered: ctx.extra.socket.bufferedAmount }, 'dropping a WebSocket client that does not read');
          ctx.extra.socket.terminate();
        }
      },
    },
    wss,
    config.realtime.keepAliveMs,
  );

  const server: RunningServer = {
    url: '',
    port: 0,
    yoga,
    http,
    executor,
    hub,
    wss,
    get subscriptions() {
      return sharedSubscriptions.active;
    },
    start: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const addr = http.address() as AddressInfo;
          server.port = addr.port;
          const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
          server.url = `http://${host}:${addr.port}/graphql`;
          if (config.execution.enabled) executor.start();
          hub.start().then(resolve, reject);
        });
      }),
    stop: async () => {
      await executor.stop();
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
