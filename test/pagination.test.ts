// Queue pagination (SPEC.md section 5, API.md "Lists"): forward and backward over every ordering,
// stable cursors while the queue is written to, and clear errors for bad page arguments.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, type IncidentRow } from '../src/db/schema';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import type { IncidentOrderField, OrderDirection, QueueQueryVariables } from './generated/graphql';
import { AlertsPageQuery, IngestMutation, QueueQuery, UpdateIncidentMutation } from './ops';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH'] as const;

async function ingest(t: TenantFixture, over: Record<string, unknown> = {}) {
  const r = await app.gql(IngestMutation, { input: incidentInput(over) as never }, t.tokens.INTEGRATION);
  expect(r.data?.ingestIncident.errors).toEqual([]);
  return r.data!.ingestIncident.incident!;
}

async function rowsOf(t: TenantFixture): Promise<IncidentRow[]> {
  return app.database.db.select().from(incidents).where(eq(incidents.tenantId, t.tenant.id));
}

/** The order the queue must produce, computed independently from the rows. */
function expectedOrder(rows: IncidentRow[], field: IncidentOrderField, direction: OrderDirection): string[] {
  const key = (r: IncidentRow): (number | string)[] => {
    const updated = r.updatedAt.getTime();
    switch (field) {
      case 'LAST_UPDATE':
        return [updated, r.id];
      case 'CREATED':
        return [r.createdAt.getTime(), r.id];
      case 'SEVERITY':
        return [SEVERITIES.indexOf(r.severity), updated, r.id];
      case 'PRIORITY':
        return [r.priorityScore, updated, r.id];
    }
  };
  const cmp = (x: IncidentRow, y: IncidentRow) => {
    const [a, b] = [key(x), key(y)];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  };
  const sorted = [...rows].sort(cmp);
  if (direction === 'DESC') sorted.reverse();
  return sorted.map((r) => encodeGlobalID('Incident', r.id));
}

type Page = { ids: string[]; hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null; totalCount: number };

async function page(token: string, vars: QueueQueryVariables): Promise<Page> {
  const r = await app.gql(QueueQuery, vars, token);
  expect(r.errors).toBeUndefined();
  const c = r.data!.incidents;
  // every edge's cursor resumes right after it: the last edge's cursor is the page's endCursor
  expect(c.pageInfo.startCursor).toBe(c.edges[0]?.cursor ?? null);
  expect(c.pageInfo.endCursor).toBe(c.edges[c.edges.length - 1]?.cursor ?? null);
  return { ids: c.edges.map((e) => e.node.id), ...c.pageInfo, totalCount: c.totalCount };
}

describe('paging the queue', () => {
  let T: TenantFixture;
  let rows: IncidentRow[];
  const N = 13;

  beforeAll(async () => {
    T = await newTenant(app);
    for (let i = 0; i < N; i++) await ingest(T, { severity: SEVERITIES[i % 4] });
    // Control every sort key, with ties, so the id tie-break is exercised in every ordering.
    const base = Date.UTC(2026, 0, 10, 9, 0, 0);
    const ids = (await rowsOf(T)).sort((x, y) => x.number - y.number).map((r) => r.id);
    for (const [i, id] of ids.entries()) {
      await app.database.db
        .update(incidents)
        .set({
          createdAt: new Date(base + Math.floor(i / 2) * 60_000), // pairs created in the same millisecond
          updatedAt: new Date(base + 3_600_000 + ((i * 7) % 5) * 60_000), // five distinct update times
          priorityScore: [10, 50, 50, 90][i % 4],
        })
        .where(eq(incidents.id, id));
    }
    rows = await rowsOf(T);
  });

  const orderings = (['LAST_UPDATE', 'CREATED', 'SEVERITY', 'PRIORITY'] as const).flatMap((field) =>
    (['ASC', 'DESC'] as const).map((direction) => ({ field, direction })),
  );

  it.each(orderings)('$field $direction: forward pages concatenate to the whole ordered list', async ({ field, direction }) => {
    const expected = expectedOrder(rows, field, direction);
    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; ; n++) {
      const p = await page(T.tokens.READER, { first: 4, after, orderBy: { field, direction } });
      expect(p.totalCount).toBe(N);
      expect(p.hasPreviousPage).toBe(n > 0);
      seen.push(...p.ids);
      if (!p.hasNextPage) break;
      expect(p.ids).toHaveLength(4);
      after = p.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it.each(orderings)('$field $direction: backward pages concatenate to the whole ordered list', async ({ field, direction }) => {
    const expected = expectedOrder(rows, field, direction);
    const seen: string[] = [];
    let before: string | null = null;
    for (let n = 0; ; n++) {
      const p = await page(T.tokens.READER, { last: 5, before, orderBy: { field, direction } });
      expect(p.totalCount).toBe(N);
      expect(p.hasNextPage).toBe(n > 0);
      seen.unshift(...p.ids);
      if (!p.hasPreviousPage) break;
      expect(p.ids).toHaveLength(5);
      before = p.startCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('defaults to last update, newest first, 20 per page', async () => {
    const p = await page(T.tokens.READER, {});
    expect(p.ids).toEqual(expectedOrder(rows, 'LAST_UPDATE', 'DESC'));
    expect(p).toMatchObject({ hasNextPage: false, hasPreviousPage: false, totalCount: N });
  });

  it('goes back from a forward page to the page before it', async () => {
    const orderBy = { field: 'SEVERITY', direction: 'DESC' } as const;
    const p1 = await page(T.tokens.READER, { first: 4, orderBy });
    const p2 = await page(T.tokens.READER, { first: 4, after: p1.endCursor, orderBy });
    const back = await page(T.tokens.READER, { last: 4, before: p2.startCursor, orderBy });
    expect(back.ids).toEqual(p1.ids);
    expect(back.hasPreviousPage).toBe(false);
  });

  it('first: 0 returns no rows but the total', async () => {
    const p = await page(T.tokens.READER, { first: 0 });
    expect(p.ids).toEqual([]);
    expect(p.totalCount).toBe(N);
    expect(p.startCursor).toBeNull();
  });

  it('first: 100 returns everything on one page', async () => {
    const p = await page(T.tokens.READER, { first: 100 });
    expect(p.ids).toHaveLength(N);
    expect(p.hasNextPage).toBe(false);
  });

  it('an empty queue has an empty first page', async () => {
    const empty = await newTenant(app);
    const p = await page(empty.tokens.READER, { first: 10 });
    expect(p).toEqual({ ids: [], hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null, totalCount: 0 });
  });

  it.each([
    [{ first: 101 }, /"first".*between 0 and 100.*101/],
    [{ first: -1 }, /"first".*between 0 and 100.*-1/],
    [{ last: 1000 }, /"last".*between 0 and 100.*1000/],
    [{ first: 2, last: 2 }, /either "first" or "last"/],
    [{ first: 2, after: 'garbage' }, /"after" is not a cursor of this list/],
    [{ last: 2, before: '!!!' }, /"before" is not a cursor of this list/],
    [{ first: 2, before: 'x' }, /"first" pages forward/],
  ] as [QueueQueryVariables, RegExp][])('refuses %j with a clear BAD_USER_INPUT', async (vars, message) => {
    const r = await app.gql(QueueQuery, vars, T.tokens.READER);
    expect(r.data ?? null).toBeNull();
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors![0].message).toMatch(message);
  });

  it('refuses last together with after instead of ignoring the cursor', async () => {
    const p1 = await page(T.tokens.READER, { first: 3 });
    const r = await app.gql(QueueQuery, { last: 3, after: p1.endCursor }, T.tokens.READER);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("refuses a cursor of another ordering's shape", async () => {
    const bySeverity = await page(T.tokens.READER, { first: 2, orderBy: { field: 'SEVERITY', direction: 'ASC' } });
    const r = await app.gql(QueueQuery, { first: 2, after: bySeverity.endCursor, orderBy: { field: 'CREATED', direction: 'ASC' } }, T.tokens.READER);
    expect(r.errors?.[0]).toMatchObject({ message: '"after" is not a cursor of this list', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('a forged cursor cannot inject SQL', async () => {
    const forged = Buffer.from(JSON.stringify(["2026-01-01T00:00:00Z'::timestamptz) or true --", 'x'])).toString('base64url');
    const r = await app.gql(QueueQuery, { first: 2, after: forged }, T.tokens.READER);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('stable cursors while the queue is written to', () => {
  type Write = (T: TenantFixture, step: number, seen: string[]) => Promise<string[]>;

  /**
   * Page through a fresh queue of 12 in pages of 3, running `write` between page fetches. `write`
   * returns the rows it moved. Moved rows may drop out of the part not yet read, but no row is
   * ever returned twice and every row that did not move is returned exactly once.
   */
  async function walkWhileWriting(orderBy: QueueQueryVariables['orderBy'], write: Write) {
    const T = await newTenant(app);
    for (let i = 0; i < 12; i++) await ingest(T, { severity: SEVERITIES[i % 4] });
    const initial = (await rowsOf(T)).map((r) => encodeGlobalID('Incident', r.id));
    const moved = new Set<string>();
    const seen: string[] = [];
    let after: string | null = null;
    for (let step = 0; step < 30; step++) {
      const p = await page(T.tokens.READER, { first: 3, after, orderBy });
      seen.push(...p.ids);
      if (!p.hasNextPage) break;
      after = p.endCursor;
      for (const id of await write(T, step, seen)) moved.add(id);
    }
    expect(new Set(seen).size).toBe(seen.length); // no row repeated
    const lost = initial.filter((id) => !moved.has(id) && !seen.includes(id));
    expect(lost).toEqual([]); // none of the rows that stayed put lost
    return { seen, initial, moved };
  }

  const touch = async (T: TenantFixture, id: string, severity?: 'HIGH' | 'LOW') => {
    const r = await app.gql(UpdateIncidentMutation, { input: { incidentId: id, tags: [`s${Date.now()}`], severity } }, T.tokens.OPERATOR);
    expect(r.data?.updateIncident.errors).toEqual([]);
  };
  /** Rows not read yet, in the queue's default order (newest update first). */
  const unseenIds = async (T: TenantFixture, seen: string[]) =>
    expectedOrder(await rowsOf(T), 'LAST_UPDATE', 'DESC').filter((id) => !seen.includes(id));

  it('LAST_UPDATE DESC: new and updated incidents jump to the top, the rest page on', async () => {
    const { seen, moved } = await walkWhileWriting({ field: 'LAST_UPDATE', direction: 'DESC' }, async (T, _step, seen) => {
      await ingest(T);
      const unseen = await unseenIds(T, seen);
      const moved = [seen[0], unseen[unseen.length - 1]];
      for (const id of moved) await touch(T, id);
      return moved;
    });
    expect(moved.size).toBeGreaterThan(2);
    expect(seen.length).toBeGreaterThanOrEqual(12 - moved.size);
  });

  it('CREATED ASC: updates do not move rows; incidents ingested meanwhile show up at the end', async () => {
    const added: string[] = [];
    const { seen, initial } = await walkWhileWriting({ field: 'CREATED', direction: 'ASC' }, async (T) => {
      added.push((await ingest(T)).id);
      for (const r of (await rowsOf(T)).slice(0, 3)) await touch(T, encodeGlobalID('Incident', r.id));
      return [];
    });
    expect(seen.slice(0, initial.length).sort()).toEqual([...initial].sort());
    expect(seen.slice(initial.length)).toEqual(added.slice(0, seen.length - initial.length));
  });

  it('PRIORITY DESC: severity changes move rows across the cursor both ways without repeats', async () => {
    await walkWhileWriting({ field: 'PRIORITY', direction: 'DESC' }, async (T, _step, seen) => {
      const unseen = await unseenIds(T, seen);
      // a row already read climbs; one unread row sinks, another climbs past the cursor
      const moved = [seen[seen.length - 1], ...unseen.slice(0, 2)];
      await touch(T, moved[0], 'HIGH');
      if (moved[1]) await touch(T, moved[1], 'LOW');
      if (moved[2]) await touch(T, moved[2], 'HIGH');
      return moved;
    });
  });
});

describe('paging an incident\'s alerts', () => {
  it('pages forward and backward over alerts, oldest first', async () => {
    const T = await newTenant(app);
    const input = incidentInput();
    const alerts = Array.from({ length: 7 }, (_, i) => ({
      ...input.alerts[0],
      externalId: `${input.externalId}-x${i}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    }));
    const inc = await ingest(T, { externalId: input.externalId, alerts });
    const walk = async (vars: { first?: number; after?: string | null; last?: number; before?: string | null }) => {
      const r = await app.gql(AlertsPageQuery, { id: inc.id, ...vars }, T.tokens.READER);
      expect(r.errors).toBeUndefined();
      return (r.data!.node as { alerts: { totalCount: number; pageInfo: Page; nodes: { externalId: string }[] } }).alerts;
    };
    const p1 = await walk({ first: 3 });
    const p2 = await walk({ first: 3, after: p1.pageInfo.endCursor });
    const p3 = await walk({ first: 3, after: p2.pageInfo.endCursor });
    const order = [...p1.nodes, ...p2.nodes, ...p3.nodes].map((n) => n.externalId.split('-x')[1]);
    expect(order).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect([p1.pageInfo.hasNextPage, p2.pageInfo.hasNextPage, p3.pageInfo.hasNextPage]).toEqual([true, true, false]);
    expect(p1.totalCount).toBe(7);
    const b1 = await walk({ last: 4 });
    const b2 = await walk({ last: 4, before: b1.pageInfo.startCursor });
    expect([...b2.nodes, ...b1.nodes].map((n) => n.externalId.split('-x')[1])).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(b2.pageInfo.hasPreviousPage).toBe(false);
    const bad = await app.gql(AlertsPageQuery, { id: inc.id, first: 2, after: 'nope' }, T.tokens.READER);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('tampered cursors', () => {
  // Cursors are opaque base64url JSON, and anyone can write one: every part is checked against
  // what a cursor of that list holds, so a forged one is BAD_USER_INPUT naming the argument,
  // never a database error (an enum cast, an integer overflow, a year PostgreSQL refuses...).
  const forge = (parts: unknown[]) => Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
  const uuid = '0b5f0c8e-7d0a-4f4e-9a57-4f1d2c3b4a59';
  const date = '2026-01-10T09:00:00.000Z';
  let T: TenantFixture;
  let incidentId: string;

  beforeAll(async () => {
    T = await newTenant(app);
    incidentId = (await ingest(T)).id;
    for (let i = 0; i < 3; i++) {
      const r = await app.gql(UpdateIncidentMutation, { input: { incidentId, tags: [`t${i}`] } }, T.tokens.OPERATOR);
      expect(r.data?.updateIncident.errors).toEqual([]);
    }
  });

  type List = [string, (page: { first?: number; after?: string; last?: number; before?: string }) => Promise<{ errors?: { message: string; extensions?: Record<string, unknown> }[] }>];
  const queue = (field: IncidentOrderField): List[1] => (page) => app.gql(QueueQuery, { ...page, orderBy: { field, direction: 'ASC' } }, T.tokens.READER);
  const nested = (list: string): List[1] => (page) =>
    app.gql(
      `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { node(id: $id) { ... on Incident { ${list}(first: $first, after: $after, last: $last, before: $before) { totalCount } } } }`,
      { id: incidentId, ...page },
      T.tokens.READER,
    );
  const actions: List[1] = (page) =>
    app.gql('query($first: Int, $after: String, $last: Int, $before: String) { responseActions(first: $first, after: $after, last: $last, before: $before) { totalCount } }', page, T.tokens.READER);

  const cases: [string, List[1], unknown[]][] = [
    ['the queue by severity, with an enum value that does not exist', queue('SEVERITY'), ['BOGUS', date, uuid]],
    ['the queue by severity, with a NUL in the enum value', queue('SEVERITY'), ['LOW\u0000', date, uuid]],
    ['the queue by priority, with a number beyond 32 bits', queue('PRIORITY'), [2 ** 40, date, uuid]],
    ['the queue by priority, with 1e308', queue('PRIORITY'), [1e308, date, uuid]],
    ['the queue by priority, with a fraction', queue('PRIORITY'), [1.5, date, uuid]],
    ['the queue by priority, with a string', queue('PRIORITY'), ['50', date, uuid]],
    ['the queue by update, with year 0000', queue('LAST_UPDATE'), ['0000-01-01T00:00:00.000Z', uuid]],
    ['the queue by update, with year 275760', queue('LAST_UPDATE'), ['+275760-09-13T00:00:00.000Z', uuid]],
    ['the queue by creation, with February 30', queue('CREATED'), ['2026-02-30T00:00:00.000Z', uuid]],
    ['the queue by creation, with a date that is not an instant', queue('CREATED'), ['2026-01-10', uuid]],
    ['the queue, with a row number for a uuid', queue('LAST_UPDATE'), [date, 5]],
    ['the queue, with an id that is no uuid', queue('LAST_UPDATE'), [date, "x' or 1=1 --"]],
    ['the queue, with a missing part', queue('PRIORITY'), [50, uuid]],
    ["an incident's alerts, with year 0000", nested('alerts'), ['0000-01-01T00:00:00.000Z', uuid]],
    ["an incident's comments, with year 0000", nested('comments'), ['0000-01-01T00:00:00.000Z', uuid]],
    ["an incident's comments, with a number for a date", nested('comments'), [1e20, uuid]],
    ["an incident's activity, with a uuid for its row number", nested('activity'), [uuid]],
    ["an incident's activity, with a row number beyond 2^53", nested('activity'), [2 ** 60]],
    ["an incident's activity, with a negative row number", nested('activity'), [-1]],
    ['the action center, with year 0000', actions, ['0000-01-01T00:00:00.000Z', uuid]],
  ];

  it.each(cases)('%s: BAD_USER_INPUT naming after/before', async (_label, run, parts) => {
    for (const [page, argument] of [
      [{ first: 2, after: forge(parts) }, 'after'],
      [{ last: 2, before: forge(parts) }, 'before'],
    ] as const) {
      const r = await run(page);
      expect(r.errors, JSON.stringify(r)).toHaveLength(1);
      expect(r.errors![0]).toMatchObject({
        message: `"${argument}" is not a cursor of this list`,
        extensions: { code: 'BAD_USER_INPUT', argument, field: [argument] },
      });
    }
  });

  it("the activity log's own cursors (row numbers) still page", async () => {
    const page = async (after: string | null) => {
      const r = await app.gql<{ node: { activity: { nodes: { field: string }[]; pageInfo: { endCursor: string; hasNextPage: boolean } } } }, unknown>(
        'query($id: ID!, $after: String) { node(id: $id) { ... on Incident { activity(first: 2, after: $after) { nodes { field } pageInfo { endCursor hasNextPage } } } } }',
        { id: incidentId, after },
        T.tokens.READER,
      );
      expect(r.errors).toBeUndefined();
      return r.data!.node.activity;
    };
    const p1 = await page(null);
    const p2 = await page(p1.pageInfo.endCursor);
    expect(p1.nodes).toHaveLength(2);
    expect(p2.nodes.length).toBeGreaterThan(0);
  });
});
