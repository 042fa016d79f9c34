// An experimental copy of src/server.ts's GraphQL setup (same schema, same context shape) with
// switches, to measure what each piece costs without touching src/. With no V_* set it is
// equivalent to bench/server.ts for the queue query.
//
//   BENCH_SERVER=bench/variant.ts BENCH_SERVER_ENV='{"V_PREPARE":"1"}' npm run bench
//
// V_JIT=0           no @envelop/graphql-jit (graphql-js execute)
// (graphql-jit's customJSONSerializer is no option: it rejects the DateTime scalar.)
// V_LIMITS=0        no depth/alias/token/cost limit plugins
// V_PARSE_CACHE=0   yoga parserAndValidationCache off
// V_PREPARE=1       drizzle queries as named prepared statements in postgres.js (one round trip
//                   per query, plan cached per connection) instead of unnamed ones (two round
//                   trips: Parse/Describe, then Bind/Execute)
// V_TOKEN_CACHE=0   resolve the token in the database on every request
// V_LOADERS=raw     alertsByIncident/devicesByIncident/incident through postgres.js directly
//                   (no drizzle query building or row mapping), otherwise src createLoaders
// V_LOADERS=memo    the two nested loaders answer from memory after their first load (with
//                   X_MEMO_LIST=1 in an experimental src copy: the GraphQL layer's floor)
// V_JSON_LIST=1     (with V_LOADERS=raw) `= any($1::uuid[])` instead of IN ($1..$n) for ids
// V_STATS=1         print statements per request on exit
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQlJit } from '@envelop/graphql-jit';
import DataLoader from 'dataloader';
import { drizzle } from 'drizzle-orm/postgres-js';
import { getOperationAST } from 'graphql';
import { createYoga } from 'graphql-yoga';
import postgres from 'postgres';
import { loadConfig } from '../src/config';
import { openDatabase, type Db } from '../src/db/client';
import * as schemaTables from '../src/db/schema';
import type { AlertRow, DeviceRow } from '../src/db/schema';
import { createLoaders } from '../src/domain/loaders';
import { TokenCache, viewerForToken } from '../src/domain/tokens';
import type { Viewer } from '../src/domain/viewer';
import type { GraphQLContext } from '../src/graphql/context';
import { limitPlugins } from '../src/graphql/limits';
import { schema } from '../src/graphql/schema';
import { createLogger } from '../src/log';
import { buildServer } from '../src/server';
import { announce, exitWithParent } from './shared';

const env = process.env;
const flags = {
  jit: env.V_JIT !== '0',
  limits: env.V_LIMITS !== '0',
  parseCache: env.V_PARSE_CACHE !== '0',
  prepare: env.V_PREPARE === '1',
  tokenCache: env.V_TOKEN_CACHE !== '0',
  rawLoaders: env.V_LOADERS === 'raw',
  memoLoaders: env.V_LOADERS === 'memo',
  anyArray: env.V_JSON_LIST === '1',
  stats: env.V_STATS === '1',
};

const config = loadConfig({ ...env, PORT: env.PORT ?? '0', HOST: '127.0.0.1', MDR_DEMO: '0' });
const log = createLogger(config.logLevel);
const stats = { statements: 0, requests: 0 };
const opened = await openDatabase({ databaseUrl: config.databaseUrl!, poolSize: config.databasePoolSize });
const sql = postgres(config.databaseUrl!, { max: config.databasePoolSize, onnotice: () => {} });
// drizzle's postgres-js session passes { prepare: false } unless a query was .prepare()d by name.
const client = flags.prepare
  ? (new Proxy(sql, {
      get(target, prop, receiver) {
        if (prop === 'unsafe') {
          return (text: string, params?: unknown[], opts?: Record<string, unknown>) =>
            target.unsafe(text, params as never[], { ...opts, prepare: true });
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as typeof sql)
  : sql;
const db = drizzle({ client, schema: schemaTables, logger: { logQuery: () => void (stats.statements += 1) } }) as unknown as Db;
const database = { ...opened, db, stats };

// Everything in the context that is not per request (database, hub, executor hooks, settings)
// comes from the real buildServer (never started), so this copy follows src/server.ts.
const real = buildServer({ config, database, log });
const base = (await real.yoga.getEnveloped({ request: new Request('http://localhost/graphql') }).contextFactory()) as unknown as Record<
  string,
  unknown
>;
// drop what yoga puts in every context itself (it adds them again per request)
for (const key of ['request', 'params', 'waitUntil', 'req', 'res', 'viewer', 'loaders']) delete base[key];

// ---- raw loaders ------------------------------------------------------------------------------
// Plain postgres.js (its own parsers: timestamptz → Date), prepared, rows shaped like drizzle's.
const raw = postgres(config.databaseUrl!, { max: config.databasePoolSize, onnotice: () => {}, transform: postgres.camel });
const idsParam = (ids: readonly string[], from: number) =>
  flags.anyArray
    ? { text: `any($${from}::uuid[])`, params: [ids as string[]] }
    : { text: `in (${ids.map((_, i) => `$${from + i}::uuid`).join(', ')})`, params: [...ids] };
function groupBy<T>(rows: T[], key: (r: T) => string, ids: readonly string[]): T[][] {
  const map = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let list = map.get(k);
    if (!list) map.set(k, (list = []));
    list.push(r);
  }
  return ids.map((id) => map.get(id) ?? []);
}
function rawLoaders(viewer: Viewer | null) {
  const base = createLoaders(db, viewer);
  const tenantIds = viewer ? [...viewer.tenantIds] : [];
  if (tenantIds.length === 0) return base;
  const tenants = tenantIds.map((_, i) => `$${i + 1}::uuid`).join(', ');
  const alertsByIncident = new DataLoader<string, AlertRow[]>(async (incidentIds) => {
    const ids = idsParam(incidentIds, tenantIds.length + 1);
    stats.statements += 1;
    const rows = await raw.unsafe<AlertRow[]>(
      `select * from alerts where incident_id ${ids.text} and tenant_id in (${tenants}) order by created_at, id`,
      [...tenantIds, ...ids.params] as never[],
      { prepare: true },
    );
    return groupBy(rows, (r) => r.incidentId, incidentIds);
  });
  const devicesByIncident = new DataLoader<string, DeviceRow[]>(async (incidentIds) => {
    const ids = idsParam(incidentIds, tenantIds.length + 1);
    stats.statements += 1;
    const rows = await raw.unsafe<(DeviceRow & { evIncidentId: string })[]>(
      `select distinct on (e.incident_id, d.name, d.id) e.incident_id as ev_incident_id, d.*
       from evidence e join devices d on d.id = e.device_id
       where e.incident_id ${ids.text} and e.tenant_id in (${tenants})
       order by e.incident_id, d.name, d.id`,
      [...tenantIds, ...ids.params] as never[],
      { prepare: true },
    );
    return groupBy(rows, (r) => r.evIncidentId, incidentIds);
  });
  return { ...base, alertsByIncident, devicesByIncident };
}

// Memoised loaders: after the first request no database work for alerts and devices.
const memoStore = new Map<string, Map<string, unknown>>();
function memoLoaders(viewer: Viewer | null) {
  const real = createLoaders(db, viewer);
  const wrap = <T>(name: 'alertsByIncident' | 'devicesByIncident') => {
    let store = memoStore.get(name);
    if (!store) memoStore.set(name, (store = new Map()));
    const s = store;
    return new DataLoader<string, T>(async (ids) => {
      const missing = ids.filter((id) => !s.has(id));
      if (missing.length) {
        const values = await (real[name] as unknown as DataLoader<string, T>).loadMany(missing);
        missing.forEach((id, i) => s.set(id, values[i]));
      }
      return ids.map((id) => s.get(id) as T);
    });
  };
  return { ...real, alertsByIncident: wrap<AlertRow[]>('alertsByIncident'), devicesByIncident: wrap<DeviceRow[]>('devicesByIncident') };
}

// ---- the server -------------------------------------------------------------------------------
const tokens = new TokenCache(flags.tokenCache ? 10_000 : 0);
const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
  schema,
  graphqlEndpoint: '/graphql',
  landingPage: false,
  logging: false,
  graphiql: false,
  parserAndValidationCache: flags.parseCache,
  maskedErrors: true,
  context: async ({ request }) => {
    stats.requests += 1;
    const header = request.headers.get('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const viewer = match ? (flags.tokenCache ? await tokens.resolve(db, match[1]) : await viewerForToken(db, match[1])) : null;
    return {
      ...base,
      viewer,
      loaders: flags.rawLoaders ? rawLoaders(viewer) : flags.memoLoaders ? memoLoaders(viewer) : createLoaders(db, viewer),
    } as unknown as GraphQLContext;
  },
  plugins: [
    ...(flags.limits ? limitPlugins(config.limits) : []),
    ...(flags.jit
      ? [
          useGraphQlJit({}, {
            enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation !== 'subscription',
          }),
        ]
      : []),
  ],
});

const http = createServer((req, res) => void yoga.handle(req, res));
http.listen(0, '127.0.0.1', () => announce((http.address() as AddressInfo).port, { flags }));
exitWithParent(async () => {
  if (flags.stats) {
    process.stderr.write(
      `[variant] ${JSON.stringify(flags)}: ${stats.requests} requests, ${stats.statements} statements, ` +
        `${(stats.statements / Math.max(1, stats.requests)).toFixed(2)} per request\n`,
    );
  }
  http.closeAllConnections();
  http.close();
  await Promise.all([sql.end({ timeout: 2 }), raw.end({ timeout: 2 }), opened.close()]);
});
