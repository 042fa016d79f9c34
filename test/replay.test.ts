// Resuming a subscription with `after` (SPEC.md section 7: "A client resuming from an eventId gets
// every retained event after it, paged, or a typed error telling it to reload: never a silent
// gap"). The replay reads the activity log in pages of bounded size, hands over to the live events
// without a gap or a duplicate (also for events committed while it runs), and ends with
// EVENTS_EXPIRED, before sending anything, when more than MAX_REPLAY_EVENTS events were missed or
// the `after` id is not covered by the retained log. Over graphql-ws and over SSE.
//
// Small bounds keep it fast: at most CAP events per resume, PAGE rows per page.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { activity } from '../src/db/schema';
import type { Viewer } from '../src/domain/viewer';
import { viewerForToken } from '../src/domain/tokens';
import { EVENT_ORDER_LOCK } from '../src/events/activity';
import type { HubEvent } from '../src/events/hub';
import { eventStream } from '../src/events/streams';
import { backend, startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

const CAP = 50;
const PAGE = 20;
const defaults = loadConfig({ ...process.env, MDR_DEMO: '0' });

let app: TestApp;
beforeAll(async () => {
  app = await startApp({ security: { ...defaults.security, maxReplayEvents: CAP } });
  app.server.hub.replayLimits.pageSize = PAGE; // production pages hold 500 rows
});
afterAll(async () => {
  await app?.close();
});

const INCIDENT_CHANGED = `subscription($after: ID) { incidentChanged(after: $after) {
  eventId incident { id } activity { field to } } }`;

/** The newest event id of a tenant: where a client that saw everything so far resumes. */
async function lastEventId(a: TestApp, t: TenantFixture): Promise<number> {
  const [row] = await a.database.db
    .select({ top: sql<string | null>`max(${activity.id})::text` })
    .from(activity)
    .where(sql`${activity.tenantId} = ${t.tenant.id}`);
  return Number(row.top ?? 0);
}

/** The id of the tenant's event whose new value is `to` (burst events are unique by it). */
async function eventIdOf(a: TestApp, t: TenantFixture, to: string): Promise<number> {
  const [row] = await a.database.db
    .select({ id: activity.id })
    .from(activity)
    .where(and(eq(activity.tenantId, t.tenant.id), eq(activity.toValue, to)));
  return row.id;
}

/**
 * `n` events on one incident, committed at once (as a burst of changes would be): tag changes
 * "n1".."n<n>", in id order. Written under the lock that makes ids follow commit order.
 */
async function burst(a: TestApp, t: TenantFixture, incidentId: string, n: number, prefix = 'n') {
  const localIncidentId = decodeGlobalID(incidentId).id;
  await a.database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`);
    await tx.execute(sql`insert into activity (tenant_id, incident_id, field, to_value)
      select ${t.tenant.id}::uuid, ${localIncidentId}::uuid, 'tags', ${prefix} || g from generate_series(1, ${n}::int) g order by g`);
  });
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

/** A live change through the API (the real write path and NOTIFY): severity, as the event's `to`. */
async function liveChange(t: TenantFixture, incidentId: string, severity: 'LOW' | 'MEDIUM' | 'HIGH') {
  const r = await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId, severity }, 'incident { id }');
  expect(r.data.updateIncident.errors).toEqual([]);
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The next value of an iterator, or a clear failure instead of waiting forever. */
async function pull<T>(it: AsyncIterator<T>, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    it.next(),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no event within the deadline')), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  if (r.done) throw new Error('the stream ended');
  return r.value;
}

const tos = (events: HubEvent[]) => events.map((e) => e.activity.toValue);

describe('the replay itself (the stream under every subscription)', () => {
  let t: TenantFixture;
  let incidentId: string;
  let viewer: Viewer;
  beforeAll(async () => {
    t = await newTenant(app);
    incidentId = (await ingest(app, t)).id;
    viewer = (await viewerForToken(app.database.db, t.tokens.READER))!;
  });

  it('pages through more events than one page, holding one page at a time, then hands over to live events', async () => {
    const after = await lastEventId(app, t);
    const missed = await burst(app, t, incidentId, 45);
    const pagesBefore = app.server.hub.replayStats.pages;
    const stream = eventStream(app.server.hub, viewer.tenantIds, { after, accept: () => true, maxBuffer: 1_000 });
    const got: HubEvent[] = [];
    for (let i = 0; i < 45; i++) got.push(await pull(stream));
    expect(tos(got)).toEqual(missed);
    // 20 + 20 + 5 rows: three pages, never more than a page in memory
    expect(app.server.hub.replayStats.pages - pagesBefore).toBe(3);
    expect(app.server.hub.replayStats.largestPage).toBeLessThanOrEqual(PAGE);
    await liveChange(t, incidentId, 'HIGH');
    const live = await pull(stream);
    expect(live.activity).toMatchObject({ field: 'severity', toValue: 'HIGH' });
    expect(live.activity.id).toBeGreaterThan(got[got.length - 1].activity.id);
    await stream.return!();
  });

  it('events committed while the replay runs arrive once, in order, also when they overflow the buffer', async () => {
    for (const maxBuffer of [1_000, 2]) {
      const after = await lastEventId(app, t);
      await burst(app, t, incidentId, 45, `b${maxBuffer}-`);
      // a plain hub subscriber shows when the hub has handed the live events to every subscriber
      const seen: HubEvent[] = [];
      const watcher = { tenantIds: [t.tenant.id], deliver: (e: HubEvent) => void seen.push(e) };
      app.server.hub.subscribe(watcher);
      const stream = eventStream(app.server.hub, viewer.tenantIds, { after, accept: () => true, maxBuffer });
      const got: HubEvent[] = [];
      for (let i = 0; i < 5; i++) got.push(await pull(stream)); // the first page is read
      for (const s of ['LOW', 'MEDIUM', 'HIGH', 'LOW', 'MEDIUM'] as const) await liveChange(t, incidentId, s);
      await until('the live events at the hub', () => seen.length >= 5);
      // a last change after them: everything up to it, each event once, in commit order
      await liveChange(t, incidentId, 'HIGH');
      while (got.length < 51) got.push(await pull(stream));
      app.server.hub.unsubscribe(watcher);
      const ids = got.map((e) => e.activity.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      expect(got.slice(45).map((e) => e.activity.toValue)).toEqual(['LOW', 'MEDIUM', 'HIGH', 'LOW', 'MEDIUM', 'HIGH']);
      expect(ids[ids.length - 1]).toBe(await lastEventId(app, t));
      await stream.return!();
    }
  });

  it('a resume that missed more than 10,000 events gets all of them (the old replay stopped at 10,000)', async () => {
    const limits = app.server.hub.replayLimits;
    const saved = { ...limits };
    Object.assign(limits, { maxEvents: 20_000, pageSize: 500 });
    try {
      const after = await lastEventId(app, t);
      await burst(app, t, incidentId, 10_050, 'm');
      const stream = eventStream(app.server.hub, viewer.tenantIds, { after, accept: () => true, maxBuffer: 1_000 });
      let last: HubEvent | null = null;
      for (let i = 1; i <= 10_050; i++) {
        last = await pull(stream);
        if (last.activity.toValue !== `m${i}`) throw new Error(`event ${i} is ${last.activity.toValue}`);
      }
      await liveChange(t, incidentId, 'LOW');
      expect((await pull(stream)).activity).toMatchObject({ field: 'severity', toValue: 'LOW' });
      await stream.return!();
    } finally {
      Object.assign(limits, saved);
    }
  });
});

describe('graphql-ws', () => {
  it('replays what was missed over several pages, in order, then the live events', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    const after = await lastEventId(app, t);
    const missed = await burst(app, t, inc.id, 45);
    const pagesBefore = app.server.hub.replayStats.pages;
    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, INCIDENT_CHANGED, { after: String(after) });
    await connected(client);
    await sub.waitFor(45);
    expect(app.server.hub.replayStats.pages - pagesBefore).toBe(3); // 20 + 20 + 5
    await liveChange(t, inc.id, 'HIGH');
    await liveChange(t, inc.id, 'LOW');
    const events = await sub.waitFor(47);
    expect(events.map((e) => e.incidentChanged.activity.to)).toEqual([...missed, 'HIGH', 'LOW']);
    const ids = events.map((e) => Number(e.incidentChanged.eventId));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(new Set(ids).size).toBe(47);
    client.dispose();
  });

  it(`more than ${CAP} missed events: EVENTS_EXPIRED, and nothing is sent`, async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    const after = await lastEventId(app, t);
    await burst(app, t, inc.id, 120);
    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, INCIDENT_CHANGED, { after: String(after) });
    await until('the error', () => sub.errors.length > 0 || sub.events.length > 0);
    expect(sub.events).toEqual([]);
    const [errors] = sub.errors as { message: string; extensions?: { code?: string } }[][];
    expect(errors[0].extensions?.code).toBe('EVENTS_EXPIRED');
    expect(errors[0].message).toMatch(/more than 50 events/i);
    expect(errors[0].message).toMatch(/without "after"/);
    // exactly at the cap is still a replay
    const atCap = subscribe(client, INCIDENT_CHANGED, { after: String(await eventIdOf(app, t, 'n70')) });
    const events = await atCap.waitFor(CAP);
    expect(events[0].incidentChanged.activity.to).toBe('n71');
    expect(events[CAP - 1].incidentChanged.activity.to).toBe('n120');
    client.dispose();
  });

  it('an eventId this database never sent (restored from a backup, say): EVENTS_EXPIRED', async () => {
    const t = await newTenant(app);
    await ingest(app, t);
    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, INCIDENT_CHANGED, { after: String((await lastEventId(app, t)) + 1_000_000) });
    await until('the error', () => sub.errors.length > 0 || sub.events.length > 0);
    expect(JSON.stringify(sub.errors)).toContain('EVENTS_EXPIRED');
    client.dispose();
  });
});

describe('SSE', () => {
  /** A subscription over GraphQL over SSE: the parsed `next` payloads, until `complete` or `stop`. */
  async function sse(token: string, variables: Record<string, unknown>, stop: (payloads: any[]) => boolean) {
    const ctrl = new AbortController();
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: INCIDENT_CHANGED, variables }),
      signal: ctrl.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const payloads: any[] = [];
    const end = Date.now() + 15_000;
    let complete = false;
    while (!complete && !stop(payloads) && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop()!;
      for (const block of blocks) {
        if (/^event: complete/m.test(block)) complete = true;
        const data = /^data: (.*)$/m.exec(block);
        if (/^event: next/m.test(block) && data) payloads.push(JSON.parse(data[1]));
      }
    }
    ctrl.abort();
    return { payloads, complete };
  }

  it('replays over several pages in order, then the live events', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    const after = await lastEventId(app, t);
    const missed = await burst(app, t, inc.id, 45);
    const pagesBefore = app.server.hub.replayStats.pages;
    let sentLive = false;
    const { payloads } = await sse(t.tokens.READER, { after: String(after) }, (p) => {
      if (p.length >= 45 && !sentLive) {
        sentLive = true;
        void liveChange(t, inc.id, 'HIGH');
      }
      return p.length >= 46;
    });
    expect(payloads.map((p) => p.data.incidentChanged.activity.to)).toEqual([...missed, 'HIGH']);
    expect(app.server.hub.replayStats.pages - pagesBefore).toBe(3); // 20 + 20 + 5
  });

  it(`more than ${CAP} missed events: EVENTS_EXPIRED, and nothing else is sent`, async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    const after = await lastEventId(app, t);
    await burst(app, t, inc.id, 120);
    // read until the server ends the stream
    const { payloads, complete } = await sse(t.tokens.READER, { after: String(after) }, () => false);
    expect(complete).toBe(true);
    expect(payloads).toHaveLength(1);
    expect(payloads[0].data ?? null).toBeNull();
    expect(payloads[0].errors[0].extensions.code).toBe('EVENTS_EXPIRED');
  });
});

describe('retention', () => {
  it('an eventId older than the retained log: EVENTS_EXPIRED, even with few events after it', async () => {
    // Deleting the oldest events of a PostgreSQL database would disturb the other test files
    // sharing it: there, an embedded database of its own. (On PGlite this file's database is its own.)
    const database = backend === 'postgres' ? await openDatabase({ dataDir: 'memory://' }) : null;
    await database?.migrate();
    const own = database ? await startApp({ security: { ...defaults.security, maxReplayEvents: CAP } }, { database }) : app;
    try {
      const t = await newTenant(own);
      const inc = await ingest(own, t);
      await burst(own, t, inc.id, 10);
      const second = await eventIdOf(own, t, 'n2');
      const third = await eventIdOf(own, t, 'n3');
      // retention removed the oldest events, up to the 3rd of the burst
      await own.database.db.execute(sql`delete from activity where id <= ${third}`);
      const client = wsClient(own.url, t.tokens.READER);
      const expired = subscribe(client, INCIDENT_CHANGED, { after: String(second) });
      await until('the error', () => expired.errors.length > 0 || expired.events.length > 0);
      expect(JSON.stringify(expired.errors)).toContain('EVENTS_EXPIRED');
      expect(expired.events).toEqual([]);
      // from the last deleted one on, the log is complete: a normal replay
      const ok = subscribe(client, INCIDENT_CHANGED, { after: String(third) });
      expect((await ok.waitFor(7)).map((e) => e.incidentChanged.activity.to)).toEqual(['n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10']);
      client.dispose();
    } finally {
      if (database) {
        await own.close();
        await database.close();
      }
    }
  });
});
