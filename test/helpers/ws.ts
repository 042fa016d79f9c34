// A graphql-ws client for tests: collects events of one subscription.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Collected<T = any> {
  events: T[];
  errors: unknown[];
  done: boolean;
  dispose(): void;
  client: Client;
  waitFor(n: number, timeoutMs?: number): Promise<T[]>;
}

export function wsClient(httpUrl: string, token: string | null, opts: { retry?: boolean } = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: opts.retry ? 5 : 0,
    lazy: true,
  });
}

export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Collected<T> {
  const c: Collected<T> = {
    events: [],
    errors: [],
    done: false,
    client,
    dispose: () => {},
    waitFor: async (n, timeoutMs = 10_000) => {
      const end = Date.now() + timeoutMs;
      while (c.events.length < n) {
        if (c.errors.length) throw new Error(`subscription error: ${JSON.stringify(c.errors)}`);
        if (Date.now() > end) throw new Error(`got ${c.events.length} of ${n} events: ${JSON.stringify(c.events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return c.events;
    },
  };
  c.dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) c.errors.push(v.errors);
        else c.events.push(v.data as T);
      },
      error: (e) => c.errors.push(e),
      complete: () => {
        c.done = true;
      },
    },
  );
  return c;
}

/** Resolves once the server acknowledged the connection. */
export function connected(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('connected', () => {
      off();
      resolve();
    });
  });
}
