import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { startApp, type TestApp } from './helpers/app';
import { incidentInput, newTenant } from './helpers/factory';
import { IngestMutation, NestedQueueQuery, QueueQuery } from './ops';

let app: TestApp;
beforeAll(async () => {
  // no background executor: the statement counts below must be the queries' own
  app = await startApp({ execution: { ...loadConfig({ ...process.env, MDR_DEMO: '0' }).execution, enabled: false } });
});
afterAll(async () => {
  await app?.close();
});

describe('incident queue', () => {
  it('ingests and lists incidents of the tenant only', async () => {
    const a = await newTenant(app);
    const b = await newTenant(app);
    const r = await app.gql(IngestMutation, { input: incidentInput({ title: 'Ransomware on FS01' }) }, a.tokens.INTEGRATION);
    expect(r.data?.ingestIncident.errors).toEqual([]);
    expect(r.data?.ingestIncident.created).toBe(true);
    await app.gql(IngestMutation, { input: incidentInput() }, b.tokens.INTEGRATION);
    const q = await app.gql(QueueQuery, { first: 10 }, a.tokens.READER);
    expect(q.data?.incidents.totalCount).toBe(1);
    expect(q.data?.incidents.edges[0].node.title).toBe('Ransomware on FS01');
  });

  it('runs the same number of SQL statements for 5 and 50 incidents (no N+1)', async () => {
    const t = await newTenant(app);
    for (let i = 0; i < 50; i++) await app.gql(IngestMutation, { input: incidentInput() }, t.tokens.INTEGRATION);
    const count = async (first: number) => {
      await app.gql(NestedQueueQuery, { first }, t.tokens.READER); // warm the token cache
      const before = app.database.stats.statements;
      const r = await app.gql(NestedQueueQuery, { first }, t.tokens.READER);
      expect(r.errors).toBeUndefined();
      expect(r.data?.incidents.nodes).toHaveLength(first);
      return app.database.stats.statements - before;
    };
    const five = await count(5);
    const fifty = await count(50);
    expect(fifty).toBe(five);
    expect(five).toBeLessThanOrEqual(8);
  });
});
