// Request ids: every HTTP request and every WebSocket connection gets one. It is returned in the
// X-Request-Id response header (an incoming well-formed X-Request-Id is kept, so a proxy's or a
// client's id carries through) and it is on every log line written while the request is handled:
// the logger's mixin (src/log.ts) reads it from an AsyncLocalStorage, so resolvers, the error
// masking and anything they call log it without passing a logger around.
//
// Background work (the job engines, the event hub) must not inherit the id of the request that
// happened to wake it: `detached` runs a function outside any request's scope.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

export interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** An incoming id is kept when it is 1 to 64 characters of [A-Za-z0-9._-]; anything else is replaced. */
const WELL_FORMED = /^[A-Za-z0-9._-]{1,64}$/;

/** The request id for an incoming request (its X-Request-Id if well-formed, else a new UUID). */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'> | undefined): string {
  const raw = req?.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && WELL_FORMED.test(value) ? value : randomUUID();
}

/** Run `fn` (and everything it starts) with this request id on every log line. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** pino mixin: the current request id on each log line. */
export function requestLogFields(): { requestId?: string } {
  const scope = storage.getStore();
  return scope ? { requestId: scope.requestId } : {};
}

/** Run `fn` outside any request's scope: timers and promises it creates carry no request id. */
export function detached<T>(fn: () => T): T {
  return storage.getStore() ? storage.exit(fn) : fn();
}

/**
 * A WebSocket is one long request: every event its listeners handle (messages, close) runs in the
 * connection's scope, so the operations it carries log the connection's id.
 */
export function bindSocketScope(socket: { emit: (event: string | symbol, ...args: any[]) => boolean }, requestId: string): void {
  const emit = socket.emit.bind(socket);
  socket.emit = (event: string | symbol, ...args: any[]) => storage.run({ requestId }, () => emit(event, ...args));
}
