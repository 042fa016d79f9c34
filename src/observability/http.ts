// What every HTTP request and WebSocket connection goes through before the routes in server.ts:
// a request id (X-Request-Id, and the log lines' `requestId`), the HTTP metrics, GET /metrics, and
// the cached, compressed playground.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../log';
import type { ServiceMetrics } from './metrics';
import type { Playground } from './playground';
import { bindSocketScope, REQUEST_ID_HEADER, requestIdOf, withRequestId } from '../request-id';

export interface ObserveOptions {
  metrics: ServiceMetrics;
  log: Logger;
  playground: Playground;
  /** METRICS_TOKEN: /metrics then needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The route label: a fixed set of paths, so that the label's values stay few. */
export function routeOf(path: string): string {
  switch (path) {
    case '/graphql':
    case '/graphql/':
      return '/graphql';
    case '/healthz':
    case '/readyz':
    case '/metrics':
    case '/connectors/edr/callback':
    case '/':
      return path;
  }
  if (path.startsWith('/incidents/')) return '/incidents/:id';
  if (path === '/dashboard' || path.startsWith('/dashboard/')) return '/dashboard';
  if (path.startsWith('/reports/')) return '/reports';
  return 'other';
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);

/** Wrap the server's request handler. */
export function observeHttp(opts: ObserveOptions, handler: Handler): Handler {
  const { metrics, log, playground } = opts;
  return (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const start = performance.now();
    const path = (req.url ?? '/').split('?')[0];
    const route = routeOf(path);
    const method = METHODS.has(req.method ?? '') ? req.method! : 'OTHER';
    res.once('close', () => {
      const seconds = (performance.now() - start) / 1000;
      const type = String(res.getHeader('content-type') ?? '');
      // a stream's lifetime is not a latency: SSE subscriptions are counted, not timed
      const streaming = type.startsWith('text/event-stream') || type.startsWith('multipart/mixed');
      metrics.httpRequest(route, method, res.statusCode, streaming ? null : seconds);
      log.debug({ requestId, method, path: route === 'other' ? undefined : path, route, status: res.statusCode, ms: Math.round(seconds * 1000), aborted: !res.writableFinished || undefined }, 'http request');
    });
    withRequestId(requestId, () => {
      if (path === '/metrics') {
        void metrics.serve(req, res, opts.metricsToken);
        return;
      }
      if (playground.matches(req, path)) {
        void playground.serve(req, res).then((served) => {
          if (!served) handler(req, res); // could not render it ourselves: yoga does
        });
        return;
      }
      handler(req, res);
    });
  };
}

/**
 * One id per WebSocket connection: from the upgrade request's X-Request-Id (if well-formed) or new,
 * returned in the 101 response, logged at connect and close, and on every line its operations log.
 */
export function observeWebSockets(wss: WebSocketServer, log: Logger): void {
  const ids = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const requestId = requestIdOf(req);
    ids.set(req, requestId);
    headers.push(`X-Request-Id: ${requestId}`);
  });
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    const requestId = ids.get(req) ?? requestIdOf(req);
    bindSocketScope(socket, requestId);
    const opened = Date.now();
    log.info({ requestId, remoteAddress: req.socket?.remoteAddress }, 'websocket connected');
    socket.once('close', (code: number) => {
      // inside the connection's scope (bindSocketScope): the mixin adds requestId
      log.info({ code, seconds: Math.round((Date.now() - opened) / 1000) }, 'websocket closed');
    });
  });
}
