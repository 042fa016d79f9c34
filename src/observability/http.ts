// What every HTTP request and WebSocket connection goes through before the routes in server.ts:
// a request id (X-Request-Id, and the log lines' `requestId`), the HTTP metrics, GET /metrics, and
// the cached, compressed playground.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocket, type WebSocketServer } from 'ws';
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
 * A server-side WebSocket whose events run in its connection's request-id scope, like a socket
 * given to bindSocketScope, but through a method rather than a closure and a bound `emit` made
 * for each socket and held for its life. Give it (or a subclass) to the WebSocketServer as its
 * `WebSocket` class; observeWebSockets sets the id when the connection opens.
 */
export class ScopedWebSocket extends WebSocket {
  requestId: string | undefined = undefined;
  /** When the connection opened (Date.now()), for its close log line. */
  openedAt = 0;

  override emit(event: string | symbol, ...args: any[]): boolean {
    const requestId = this.requestId;
    if (requestId === undefined) return super.emit(event, ...args);
    return withRequestId(requestId, () => super.emit(event, ...args));
  }
}

/**
 * One id per WebSocket connection: from the upgrade request's X-Request-Id (if well-formed) or new,
 * returned in the 101 response, logged at connect and close, and on every line its operations log.
 */
export function observeWebSockets(wss: WebSocketServer, log: Logger): void {
  const ids = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const requestId = flatten(requestIdOf(req));
    ids.set(req, requestId);
    headers.push(`X-Request-Id: ${requestId}`);
  });
  // inside the connection's scope (ScopedWebSocket or bindSocketScope): the mixin adds requestId
  const logClose = (code: number, opened: number) => log.info({ code, seconds: Math.round((Date.now() - opened) / 1000) }, 'websocket closed');
  /** A ScopedWebSocket's close listener: one for every socket (`this` is the socket). */
  const closed = function (this: WebSocket, code: number) {
    logClose(code, (this as ScopedWebSocket).openedAt);
  };
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    const requestId = ids.get(req) ?? flatten(requestIdOf(req));
    const opened = Date.now();
    log.info({ requestId, remoteAddress: req.socket?.remoteAddress }, 'websocket connected');
    // `on`, not `once`: a socket closes once, and `once` wraps the listener in three more objects
    // that every open socket would hold
    if (socket instanceof ScopedWebSocket) {
      socket.requestId = requestId;
      socket.openedAt = opened;
      socket.on('close', closed);
    } else {
      bindSocketScope(socket, requestId);
      socket.on('close', (code: number) => logClose(code, opened));
    }
  });
}

/**
 * A flat copy of an id the connection keeps for its whole life: randomUUID() builds its result by
 * concatenation, a chain of ~15 string pieces (~480 bytes per socket instead of ~60). The ids are
 * ASCII (a UUID, or a well-formed incoming id), so latin1 copies them exactly.
 */
function flatten(id: string): string {
  return Buffer.from(id, 'latin1').toString('latin1');
}
