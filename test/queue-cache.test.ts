// The queue page cache (src/domain/queue-cache.ts): a standing queue is served from memory after
// one version check, every change to what a page shows (through the API, through plain SQL, through
// another server process, in a transaction with a rolled-back savepoint) is seen by the very next
// request, a change in one tenant leaves the others' pages cached, and no tenant is ever given a
// page asked for another. Each answer is compared with the normal path's (no fast path, no cache).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { cachedPage, queueCache, queueCacheUsage } from '../src/domain/queue-cache';
import { queueFastPath } from '../src/graphql/queue-fast-path';
import { backend, startApp, type TestApp } from './helpers/app';
import { expertServing, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { IngestMutation, UpdateIncidentMutation } from './ops';

let app: TestApp;
let a: TenantFixture;
let b: TenantFixture;
let expertAB: string;
const incidentIds = new Map<TenantFixture, string[]>();

const QUEUE =
  'query Q { incidents(first: 50) { nodes { id number title severity status updatedAt alerts(first: 3) { nodes { id title severity } } devices { id name healthStatus } } } }';

beforeAll(async () => {
  app = await startApp({ execution: { ...loadConfig({ ...process.env, MDR_DEMO: '0' }).execution, enabled: false } });
  a = await newTenant(app);
  b = await newTenant(app);
  for (const t of [a, b]) {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await app.gql(IngestMutation, { input: incidentInput({ title: `Cache ${i}` }) }, t.tokens.INTEGRATION);
      expect(r.data?.ingestIncident.errors).toEqual([]);
      ids.push(r.data!.ingestIncident.incident!.id);
    }
    incidentIds.set(t, ids);
  }
  expertAB = (await expertServing(app, [a.tenant, b.tenant])).token;
});
afterAll(async () => {
  queueFastPath.enabled = true;
  await app?.close();
});

async function post(url: string, query: string, token: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, text: await res.text() };
}

/** The queue through the fast path (and cache), checked against the normal path; what the cache did. */
async function queue(token: string, url = app.url) {
  const before = { ...queueCache };
  const statements = app.database.stats.statements;
  queueFastPath.enabled = true;
  const served = await post(url, QUEUE, token);
  const cache = {
    hit: queueCache.hits - before.hits,
    stale: queueCache.stale - before.stale,
    miss: queueCache.misses - before.misses,
    statements: app.database.stats.statements - statements,
  };
  queueFastPath.enabled = false;
  try {
    expect(served).toEqual(await post(url, QUEUE, token));
  } finally {
    queueFastPath.enabled = true;
  }
  const nodes = JSON.parse(served.text).data.incidents.nodes as {
    id: string;
    title: string;
    severity: string;
    alerts: { nodes: { title: string }[] };
    devices: { name: string; healthStatus: string }[];
  }[];
  return { cache, nodes };
}

const rowsOf = <T>(r: unknown) => (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
const dbId = (gid: string) => atob(gid).split(':')[1];

describe('queue page cache', () => {
  it('serves a standing queue from memory after one version check', async () => {
    await queue(a.tokens.READER);
    const again = await queue(a.tokens.READER);
    expect(again.cache).toMatchObject({ hit: 1, stale: 0, miss: 0 });
    expect(again.cache.statements).toBe(1); // the version check only
    // and /metrics counts it
    const metrics = await (await fetch(app.url.replace(/\/graphql$/, '/metrics'))).text();
    const hits = /^mdr_queue_cache_lookups_total\{result="hit"\} (\d+)$/m.exec(metrics);
    expect(Number(hits?.[1])).toBe(queueCache.hits);
  });

  it('sees a change through the API at once', async () => {
    await queue(a.tokens.READER);
    const id = incidentIds.get(a)![0];
    const r = await app.gql(UpdateIncidentMutation, { input: { incidentId: id, severity: 'HIGH' } }, a.tokens.OPERATOR);
    expect(r.data?.updateIncident.errors).toEqual([]);
    const after = await queue(a.tokens.READER);
    expect(after.cache).toMatchObject({ hit: 0, stale: 1 });
    expect(after.nodes.find((n) => n.id === id)?.severity).toBe('HIGH');
  });

  it('sees changes made with plain SQL to every table a page reads', async () => {
    const db = app.database.db;
    const id = dbId(incidentIds.get(a)![1]);
    const changes: [string, () => Promise<unknown>, (nodes: Awaited<ReturnType<typeof queue>>['nodes']) => void][] = [
      [
        'an incident',
        () => db.execute(sql`update incidents set title = 'Retitled by SQL' where id = ${id}`),
        (nodes) => expect(nodes.some((n) => n.title === 'Retitled by SQL')).toBe(true),
      ],
      [
        'an alert',
        () => db.execute(sql`update alerts set title = 'Alert retitled by SQL' where incident_id = ${id}`),
        (nodes) => expect(nodes.some((n) => n.alerts.nodes.some((x) => x.title === 'Alert retitled by SQL'))).toBe(true),
      ],
      [
        'a device',
        () =>
          db.execute(
            sql`update devices set health_status = 'INACTIVE' where id in (select device_id from evidence where incident_id = ${id})`,
          ),
        (nodes) => expect(nodes.some((n) => n.devices.some((d) => d.healthStatus === 'INACTIVE'))).toBe(true),
      ],
      [
        'evidence (the device leaves the incident)',
        () => db.execute(sql`delete from evidence where incident_id = ${id} and device_id is not null`),
        (nodes) => expect(nodes.find((n) => n.title === 'Retitled by SQL')?.devices).toEqual([]),
      ],
    ];
    for (const [what, change, check] of changes) {
      await queue(a.tokens.READER);
      expect((await queue(a.tokens.READER)).cache.hit, what).toBe(1);
      await change();
      const after = await queue(a.tokens.READER);
      expect(after.cache, what).toMatchObject({ hit: 0, stale: 1 });
      check(after.nodes);
    }
  });

  it('a rolled-back savepoint, then a committed change in the same transaction: seen', async () => {
    const id = dbId(incidentIds.get(a)![2]);
    await queue(a.tokens.READER);
    await app.database.transaction(async (tx) => {
      await tx
        .transaction(async (sp) => {
          await sp.execute(sql`update incidents set title = 'Never committed' where id = ${id}`);
          sp.rollback();
        })
        .catch(() => {});
      await tx.execute(sql`update alerts set title = 'After the savepoint' where incident_id = ${id}`);
    });
    const after = await queue(a.tokens.READER);
    expect(after.cache).toMatchObject({ hit: 0, stale: 1 });
    expect(after.nodes.some((n) => n.title === 'Never committed')).toBe(false);
    expect(after.nodes.some((n) => n.alerts.nodes.some((x) => x.title === 'After the savepoint'))).toBe(true);
    // a transaction that rolls back entirely changes nothing: the page stays cached
    await app.database
      .transaction(async (tx) => {
        await tx.execute(sql`update incidents set title = 'Rolled back' where id = ${id}`);
        throw new Error('roll back');
      })
      .catch(() => {});
    expect((await queue(a.tokens.READER)).cache.hit).toBe(1);
  });

  it('SET CONSTRAINTS ALL IMMEDIATE (the versions move after each statement): every change seen', async () => {
    const id = dbId(incidentIds.get(a)![2]);
    await queue(a.tokens.READER);
    await app.database.transaction(async (tx) => {
      await tx.execute(sql`set constraints all immediate`);
      await tx.execute(sql`update incidents set title = 'Immediate one' where id = ${id}`);
      await tx.execute(sql`update alerts set title = 'Immediate two' where incident_id = ${id}`);
    });
    const after = await queue(a.tokens.READER);
    expect(after.nodes.some((n) => n.title === 'Immediate one' && n.alerts.nodes.some((x) => x.title === 'Immediate two'))).toBe(true);
    // each statement moves the version on its own then (a page read in between is not kept past the second)
    const versions = async () =>
      rowsOf<{ version: string }>(await app.database.db.execute(sql`select version from queue_versions where tenant_id = ${a.tenant.id}`))[0].version;
    const before = await versions();
    const seen: string[] = [];
    await app.database.transaction(async (tx) => {
      await tx.execute(sql`set constraints all immediate`);
      await tx.execute(sql`update incidents set title = title where id = ${id}`);
      seen.push(rowsOf<{ version: string }>(await tx.execute(sql`select version from queue_versions where tenant_id = ${a.tenant.id}`))[0].version);
      await tx.execute(sql`update alerts set title = title where incident_id = ${id}`);
      seen.push(rowsOf<{ version: string }>(await tx.execute(sql`select version from queue_versions where tenant_id = ${a.tenant.id}`))[0].version);
    });
    expect(new Set([before, ...seen]).size).toBe(3);
  });

  it('a transaction that resets its session settings (RESET ALL) is still seen', async () => {
    const id = dbId(incidentIds.get(a)![2]);
    await queue(a.tokens.READER);
    await app.database.transaction(async (tx) => {
      await tx.execute(sql`update incidents set title = 'Before a reset' where id = ${id}`);
      await tx.execute(sql`reset all`);
    });
    expect((await queue(a.tokens.READER)).nodes.some((n) => n.title === 'Before a reset')).toBe(true);
    // nor does a value set by hand for the triggers' own setting hide a change
    await app.database.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local mdr.queue_noted = '0:${a.tenant.id},'`));
      await tx.execute(sql`update incidents set title = 'Despite the setting' where id = ${id}`);
    });
    expect((await queue(a.tokens.READER)).nodes.some((n) => n.title === 'Despite the setting')).toBe(true);
  });

  it.skipIf(backend !== 'postgres')('a role that may write incidents but not the version tables: its writes work and are seen', async () => {
    const id = dbId(incidentIds.get(a)![2]);
    const role = `queue_writer_${Math.random().toString(36).slice(2, 10)}`;
    await app.database.db.execute(sql.raw(`create role ${role}; grant select, update on incidents to ${role}`));
    try {
      await queue(a.tokens.READER);
      await app.database.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local role ${role}`));
        await tx.execute(sql`update incidents set title = 'By a narrow role' where id = ${id}`);
      });
      expect((await queue(a.tokens.READER)).nodes.some((n) => n.title === 'By a narrow role')).toBe(true);
    } finally {
      await app.database.db.execute(sql.raw(`drop owned by ${role}; drop role ${role}`));
    }
  });

  it("a change in one tenant leaves another tenant's pages cached; an expert's page of both sees it", async () => {
    await queue(a.tokens.READER);
    await queue(expertAB);
    const idB = incidentIds.get(b)![0];
    await app.gql(UpdateIncidentMutation, { input: { incidentId: idB, severity: 'LOW' } }, b.tokens.OPERATOR);
    expect((await queue(a.tokens.READER)).cache.hit).toBe(1);
    const expert = await queue(expertAB);
    expect(expert.cache).toMatchObject({ hit: 0, stale: 1 });
    expect(expert.nodes.find((n) => n.id === idB)?.severity).toBe('LOW');
  });

  it('another server process on the same database: a write through it is seen by the next request', async () => {
    const other = await startApp({ execution: app.config.execution }, { database: backend === 'pglite' ? app.database : undefined });
    try {
      const id = incidentIds.get(a)![0];
      await queue(a.tokens.READER);
      expect((await queue(a.tokens.READER)).cache.hit).toBe(1);
      const r = await other.gql(UpdateIncidentMutation, { input: { incidentId: id, severity: 'INFORMATIONAL' } }, a.tokens.OPERATOR);
      expect(r.data?.updateIncident.errors).toEqual([]);
      const after = await queue(a.tokens.READER);
      expect(after.cache.hit).toBe(0);
      expect(after.nodes.find((n) => n.id === id)?.severity).toBe('INFORMATIONAL');
    } finally {
      await other.close();
    }
  });

  it('never gives one tenant a page asked for another: same text, warm cache, interleaved, every role', async () => {
    const own = async (t: TenantFixture) =>
      new Set(
        rowsOf<{ id: string }>(await app.database.db.execute(sql`select id from incidents where tenant_id = ${t.tenant.id}`)).map((r) =>
          btoa(`Incident:${r.id}`),
        ),
      );
    const ids = new Map([
      [a, await own(a)],
      [b, await own(b)],
    ]);
    const roles = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const;
    for (let round = 0; round < 3; round++) {
      const calls = Array.from({ length: 24 }, (_, n) => {
        const t = n % 2 ? b : a;
        return post(app.url, QUEUE, t.tokens[roles[n % roles.length]]).then((r) => ({ t, r }));
      });
      for (const { t, r } of await Promise.all(calls)) {
        const list = (JSON.parse(r.text).data.incidents.nodes as { id: string }[]).map((n) => n.id);
        expect(list.length).toBe(ids.get(t)!.size);
        for (const id of list) expect(ids.get(t)!.has(id)).toBe(true);
      }
      // and a change in between rounds, so that entries are replaced while the others are read
      await app.gql(UpdateIncidentMutation, { input: { incidentId: incidentIds.get(b)![1], tags: [`round-${round}`] } }, b.tokens.OPERATOR);
    }
  });

  it('the same text with other variables is another page', async () => {
    const query = 'query S($s: String) { incidents(filter: { search: $s }) { nodes { title } } }';
    for (let round = 0; round < 2; round++) {
      for (const s of ['Cache 0', 'Cache 1', 'nothing like it']) {
        const body = { query, variables: { s } };
        const send = () =>
          fetch(app.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${a.tokens.READER}` },
            body: JSON.stringify(body),
          }).then((r) => r.text());
        queueFastPath.enabled = true;
        const served = await send();
        queueFastPath.enabled = false;
        expect(served, s).toBe(await send());
        queueFastPath.enabled = true;
      }
    }
  });

  it('under concurrent requests, every request that starts after a commit sees it', async () => {
    const id = incidentIds.get(a)![1];
    let stop = false;
    // requests in flight all along, so that reads are always on their way when a write commits
    // and the tenant's version moving all along (a no-op update of another incident), so that
    // page reads are on their way, too
    const other = dbId(incidentIds.get(a)![2]);
    const background = Promise.all([
      (async () => {
        while (!stop) await Promise.all(Array.from({ length: 4 }, () => post(app.url, QUEUE, a.tokens.READER)));
      })(),
      (async () => {
        while (!stop) {
          await app.database.db.execute(sql`update incidents set title = title where id = ${other}`);
          await new Promise((r) => setTimeout(r, 2)); // (PGlite has one connection: leave the requests their turn)
        }
      })(),
    ]);
    try {
      for (const [n, severity] of (['LOW', 'HIGH', 'MEDIUM', 'INFORMATIONAL', 'LOW', 'HIGH'] as const).entries()) {
        await app.database.db.execute(sql`update incidents set severity = ${severity}, title = ${`Concurrent ${n}`} where id = ${dbId(id)}`);
        const answers = await Promise.all(Array.from({ length: 6 }, () => post(app.url, QUEUE, a.tokens.READER)));
        for (const r of answers) {
          const node = (JSON.parse(r.text).data.incidents.nodes as { id: string; title: string; severity: string }[]).find((x) => x.id === id);
          expect(node, `write ${n}`).toMatchObject({ title: `Concurrent ${n}`, severity });
        }
      }
    } finally {
      stop = true;
      await background;
    }
  });

  it('a TRUNCATE of one of the tables moves every tenant (this file’s own database)', async () => {
    await queue(a.tokens.READER);
    await queue(b.tokens.READER);
    await app.database.db.execute(sql`truncate evidence cascade`);
    for (const t of [a, b]) {
      const after = await queue(t.tokens.READER);
      expect(after.cache).toMatchObject({ hit: 0, stale: 1 });
      expect(after.nodes.every((n) => n.devices.length === 0)).toBe(true);
    }
  });

  it('QUEUE_CACHE_MB=0 turns it off', async () => {
    const saved = queueCache.maxBytes;
    queueCache.maxBytes = 0;
    try {
      const before = { ...queueCache };
      await queue(a.tokens.READER);
      await queue(a.tokens.READER);
      expect(queueCache.hits + queueCache.misses + queueCache.stale).toBe(before.hits + before.misses + before.stale);
    } finally {
      queueCache.maxBytes = saved;
    }
  });
});

describe('queue page cache: concurrent reads of one page', () => {
  /** A database whose answers the test releases by hand: the version check answers at once. */
  function fakeDatabase() {
    let versions = 't:1';
    const reads: { resolve: (page: string) => void; versions: string }[] = [];
    const database = {
      query: async (text: string) => {
        if (!text.includes(' p.page ')) return [{ v: versions, n: 1 }];
        const at = versions;
        return new Promise((resolve) => reads.push({ versions: at, resolve: (page) => resolve([{ v: at, n: 1, page }]) }));
      },
    };
    return { database: database as never, reads, commit: (v: string) => (versions = v) };
  }
  const tenant = '00000000-0000-4000-8000-000000000001';

  it('keeps to its memory limit when an entry is evicted while a hit on it is being checked', async () => {
    const checks: (() => void)[] = [];
    const database = {
      query: async (text: string) => {
        if (text.includes(' p.page ')) return [{ v: 't:1', n: 1, page: 'x'.repeat(400) }];
        return new Promise((resolve) => checks.push(() => resolve([{ v: 't:1', n: 1 }])));
      },
    } as never;
    const saved = queueCache.maxBytes;
    const page = (n: number) => cachedPage(database, [tenant], `select ${n} as page`, []);
    try {
      await page(0);
      const entryBytes = queueCacheUsage(database).bytes;
      queueCache.maxBytes = entryBytes * 8; // room for 8
      const hit = page(0); // its version check waits
      for (let n = 1; n <= 9; n++) await page(n); // page 0 is evicted meanwhile
      checks.forEach((release) => release());
      await hit;
      expect(queueCacheUsage(database).bytes).toBeLessThanOrEqual(queueCache.maxBytes);
      expect(queueCacheUsage(database).entries).toBe(8);
    } finally {
      queueCache.maxBytes = saved;
    }
  });

  it('a request that arrives after a commit never takes a read sent before it', async () => {
    const { database, reads, commit } = fakeDatabase();
    const page = () => cachedPage(database, [tenant], 'select 1 as page', []);
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const cached = page();
    await tick();
    reads[0].resolve('version 1');
    expect(await cached).toBe('version 1');
    commit('t:2');
    const first = page(); // stale: reads again
    await tick();
    expect(reads).toHaveLength(2);
    commit('t:3'); // a write commits while that read is on its way
    // two arrive together: the first of them to see the page stale sends its own read, the other
    // shares it (sent after both arrived); neither takes the read sent before they arrived
    const second = page();
    const third = page();
    await tick();
    expect(reads).toHaveLength(3);
    // one arriving now may not share a read sent before it arrived
    const fourth = page();
    await tick();
    expect(reads).toHaveLength(4);
    reads[1].resolve('version 2');
    reads[2].resolve('version 3');
    reads[3].resolve('version 3 again');
    expect(await first).toBe('version 2');
    expect(await second).toBe('version 3');
    expect(await third).toBe('version 3');
    expect(await fourth).toBe('version 3 again');
    // and the page kept is one of the current version
    expect(['version 3', 'version 3 again']).toContain(await page());
    expect(reads).toHaveLength(4);
  });
});
