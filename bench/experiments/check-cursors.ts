// Same answers with eager and lazy cursors, for a query that asks for cursors and pages on.
import { deepStrictEqual } from 'node:assert';
import { createYoga } from 'graphql-yoga';
import { openDatabase } from '../../src/db/client';
import { principalWithToken } from '../../src/domain/admin';
import { createLoaders } from '../../src/domain/loaders';
import { TokenCache } from '../../src/domain/tokens';
import { schema } from '../../src/graphql/schema';
const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, poolSize: 2 });
const [t] = await database.query<{ id: string }>('select tenant_id as id from incidents limit 1');
const { token } = await principalWithToken(database.db, { tenantId: t.id, role: 'READER', name: 'cursor check' });
const tokens = new TokenCache();
const yoga = createYoga({
  schema,
  context: async ({ request }) => {
    const viewer = await tokens.resolve(database.db, request.headers.get('authorization')!.slice(7));
    return { db: database.db, database, viewer, loaders: createLoaders(database.db, viewer) } as never;
  },
});
const Q = `query Q($after: String) { incidents(first: 5, after: $after) {
  edges { cursor node { number alerts(first: 2) { edges { cursor node { title } } pageInfo { startCursor endCursor hasNextPage } } } }
  pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }`;
async function run(mode: string) {
  process.env.X_LAZY_CURSOR = mode;
  const out = [];
  let after: string | null = null;
  for (let i = 0; i < 3; i++) {
    const res = await yoga.fetch('http://x/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: Q, variables: { after } }),
    });
    const body = (await res.json()) as { data: { incidents: { pageInfo: { endCursor: string } } }; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    out.push(body);
    after = body.data.incidents.pageInfo.endCursor;
  }
  return out;
}
const eager = await run('0');
const lazy = await run('lazy');
deepStrictEqual(lazy, eager);
console.log('lazy cursors: same answers as eager ones on 3 pages; first endCursor', (eager[0] as any).data.incidents.pageInfo.endCursor);
await database.close();
