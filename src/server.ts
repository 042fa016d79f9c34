// buildServer(): one HTTP server for GraphQL over HTTP (and the playground), health checks, and
// (later) graphql-ws and SSE on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, maskError as defaultMaskError, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config';
import type { Database } from './db/client';
import type { EventSink } from './domain/context';
import { AccessError, DomainError } from './domain/errors';
import { createLoaders } from './domain/loaders';
import { TokenCache } from './domain/tokens';
import type { Viewer } from './domain/viewer';
import type { GraphQLContext } from './graphql/context';
import { limitPlugins } from './graphql/limits';
import { schema } from './graphql/schema';
import type { Logger } from './log';

export interface ServerDeps {
  config: Config;
  database: Database;
  log: Logger;
  events?: EventSink;
}

export interface RunningServer {
  url: string;
  port: number;
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  http: Server;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** Map our error classes to GraphQL error codes; everything unexpected is masked (and logged). */
function maskError(log: Logger, production: boolean) {
  return (error: unknown, message: string, isDev?: boolean): Error => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof AccessError) {
      return new GraphQLError(original.message, {
        extensions: { code: original.code },
        path: error instanceof GraphQLError ? error.path : undefined,
      });
    }
    if (original instanceof DomainError) {
      return new GraphQLError(original.message, {
        extensions: { code: original.code === 'INVALID_INPUT' ? 'BAD_USER_INPUT' : original.code, field: original.field },
        path: error instanceof GraphQLError ? error.path : undefined,
      });
    }
    if (original instanceof GraphQLError && original.extensions?.code) return original;
    log.error({ err: original }, 'unexpected error');
    return defaultMaskError(error, message, isDev ?? !production);
  };
}

export function buildServer(deps: ServerDeps): RunningServer {
  const { config, database, log } = deps;
  const tokens = new TokenCache(Number(process.env.TOKEN_CACHE_TTL_MS ?? 10_000));
  const events: EventSink = deps.events ?? { committed: () => {} };

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
      defaultQuery: `# Paste a demo token into the headers tab: { "Authorization": "Bearer mdr_..." }\n{\n  viewer { role principal { name } tenant { name } }\n  incidents(first: 10) {\n    totalCount\n    nodes { number title severity status assignment }\n  }\n}\n`,
    },
    renderGraphiQL,
    maskedErrors: { maskError: maskError(log, config.production) },
    context: async ({ request }) => {
      const viewer = await viewerFromAuthorization(request.headers.get('authorization'));
      return {
        db: database.db,
        database,
        viewer,
        loaders: createLoaders(database.db, viewer),
        providerName: config.providerName,
        events,
        log,
      } satisfies GraphQLContext;
    },
    plugins: [...limitPlugins(config.limits), useGraphQlJit()],
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
    if (path === '/') {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
    void yoga.handle(req, res);
  });

  const server: RunningServer = {
    url: '',
    port: 0,
    yoga,
    http,
    start: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const addr = http.address() as AddressInfo;
          server.port = addr.port;
          const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
          server.url = `http://${host}:${addr.port}/graphql`;
          resolve();
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
  return server;
}
