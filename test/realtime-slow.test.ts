// Back-pressure and liveness of graphql-ws connections: a client that stops reading is dropped
// once its socket has a bounded amount unsent, without holding up the other subscribers; idle
// connections get ping frames every keepAliveMs, and one that never answers is terminated;
// closed sockets give their hub subscriptions back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config';
import { startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

const defaults = loadConfig({ ...process.env, MDR_DEMO: '0' }).realtime;
const MAX_BUFFERED = 64 * 1024;
const KEEPALIVE_MS = 200;

let slowApp: TestApp; // long keep-alive: only the buffer bound may drop a client here
let pingApp: TestApp; // short keep-alive
beforeAll(async () => {
  slowApp = await startApp({
    realtime: { ...defaults, maxSocketBufferBytes: MAX_BUFFERED, keepAliveMs: 600_000, subscriberBuffer: 1_000, redisUrl: undefined },
  });
  pingApp = await startApp(
    { realtime: { ...defaults, maxSocketBufferBytes: MAX_BUFFERED, keepAliveMs: KEEPALIVE_MS, subscriberBuffer: 1_000, redisUrl: undefined } },
    { database: slowApp.database },
  );
});
afterAll(async () => {
  await pingApp?.close();
  await slowApp?.close();
});

const INCIDENT_CHANGED = `subscription { incidentChanged { eventId incident { id description } activity { field to } } }`;

/** A graphql-transport-ws client by hand: connection_init, ack, subscribe. */
async function rawSubscriber(app: TestApp, token: string, query: string, opts: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws', opts);
  const messages: { type: string; id?: string; payload?: unknown }[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => resolve());
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await until(() => messages.some((m) => m.type === 'connection_ack'), 5_000, 'connection_ack');
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
  return { ws, messages };
}

async function until(ok: () => boolean, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The server side of a client socket (matched by the client's local port). */
function serverSocketOf(app: TestApp, client: WebSocket): WebSocket {
  const port = (client as unknown as { _socket: { localPort: number } })._socket.localPort;
  const found = [...app.server.wss.clients].find((s) => (s as unknown as { _socket: { remotePort: number } })._socket.remotePort === port);
  if (!found) throw new Error('no server socket for this client');
  return found;
}

describe('a client that does not read', () => {
  let t: TenantFixture;
  beforeAll(async () => {
    t = await newTenant(slowApp);
  });

  it('is dropped after a bounded buffer, without slowing the others; its subscription is freed', async () => {
    const app = slowApp;
    const description = 'Lateral movement from WS-1 to the file server. '.repeat(700).slice(0, 30_000);
    const inc = await ingest(app, t, { title: 'big', description });
    const baseSubscribers = app.server.subscriptions;

    // the normal client, through graphql-ws
    const client = wsClient(app.url, t.tokens.READER);
    const normal = subscribe(client, INCIDENT_CHANGED);
    await connected(client);

    // the slow one stops reading its socket right after subscribing
    const slow = await rawSubscriber(app, t.tokens.READER, INCIDENT_CHANGED);
    const serverSide = serverSocketOf(app, slow.ws);
    let serverClosedAt = 0;
    serverSide.once('close', () => (serverClosedAt = Date.now()));
    await until(() => app.server.subscriptions === baseSubscribers + 2, 5_000, 'both subscriptions');
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    // ~30 KB per event: a few hundred fill the kernel's socket buffers (a few MB on loopback),
    // then the server-side backlog passes MAX_BUFFERED. Keep writing until the server drops the
    // slow client (bounded), then some more: the normal client must not notice any of it.
    const started = Date.now();
    let updates = 0;
    let afterDrop = 0;
    while (afterDrop < 20 && updates < 2_000) {
      updates += 1;
      const r = await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId: inc.id, tags: [`n${updates}`] }, 'incident { id }');
      expect(r.data.updateIncident.errors).toEqual([]);
      if (serverClosedAt) afterDrop += 1;
    }
    const writing = Date.now() - started;

    // every event reaches the normal client, in order
    const events = await normal.waitFor(updates, 30_000);
    expect(events.map((e) => e.incidentChanged.activity.to)).toEqual(Array.from({ length: updates }, (_, i) => `n${i + 1}`));
    const ids = events.map((e) => Number(e.incidentChanged.eventId));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(events.every((e) => e.incidentChanged.incident.description === description)).toBe(true);

    // the slow client was cut off by the server (the keep-alive here is 10 minutes: not by that)
    expect(serverClosedAt, `not dropped after ${updates} events in ${writing} ms`).toBeGreaterThan(0);
    await until(() => app.server.subscriptions === baseSubscribers + 1, 5_000, 'the slow subscription to be freed');

    // once it reads again it sees the connection is gone, after at most a bounded backlog
    const closed = new Promise<number>((resolve) => slow.ws.once('close', (code) => resolve(code)));
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(1006); // terminated: no close frame
    const received = slow.messages.filter((m) => m.type === 'next').length;
    expect(received).toBeLessThan(updates);

    client.dispose();
    await until(() => app.server.subscriptions === baseSubscribers, 5_000, 'the normal subscription to be freed');
  });

  it('sockets that just close give their subscriptions back', async () => {
    const app = slowApp;
    const base = app.server.subscriptions;
    const baseSockets = app.server.wss.clients.size;
    const sockets = await Promise.all(Array.from({ length: 20 }, () => rawSubscriber(app, t.tokens.READER, INCIDENT_CHANGED)));
    await until(() => app.server.subscriptions === base + 20, 5_000, '20 subscriptions');
    expect(app.server.wss.clients.size).toBe(baseSockets + 20);
    for (const [i, s] of sockets.entries()) {
      if (i % 2) s.ws.terminate(); // no close frame
      else s.ws.close();
    }
    await until(() => app.server.subscriptions === base, 5_000, 'the subscriptions to be freed');
    await until(() => app.server.wss.clients.size === baseSockets, 5_000, 'the server sockets to close');
  });
});

describe('keep-alive', () => {
  it('pings an idle connection every keepAliveMs', async () => {
    const t = await newTenant(pingApp);
    const { ws } = await rawSubscriber(pingApp, t.tokens.READER, INCIDENT_CHANGED);
    const pings: number[] = [];
    ws.on('ping', () => pings.push(Date.now()));
    await until(() => pings.length >= 6, 5_000, '6 pings');
    const gaps = pings.slice(1).map((p, i) => p - pings[i]);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(KEEPALIVE_MS * 0.5);
      expect(gap).toBeLessThan(KEEPALIVE_MS * 3);
    }
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(KEEPALIVE_MS * 0.8);
    expect(mean).toBeLessThan(KEEPALIVE_MS * 1.6);
    expect(ws.readyState).toBe(WebSocket.OPEN); // it answers (ws replies pong by itself)
    ws.close();
    await until(() => pingApp.server.subscriptions === 0, 5_000, 'the subscription to be freed');
  });

  it('terminates a connection that does not answer pings, and frees its subscription', async () => {
    const t = await newTenant(pingApp);
    const base = pingApp.server.subscriptions;
    const { ws } = await rawSubscriber(pingApp, t.tokens.READER, INCIDENT_CHANGED, { autoPong: false });
    await until(() => pingApp.server.subscriptions === base + 1, 5_000, 'the subscription');
    const opened = Date.now();
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1006);
    expect(Date.now() - opened).toBeLessThan(KEEPALIVE_MS * 2 + 1_000);
    await until(() => pingApp.server.subscriptions === base, 5_000, 'the subscription to be freed');
  });
});
