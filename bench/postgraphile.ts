// The PostGraphile v4 peer of the queue benchmark: PostGraphile as a library
// (`postgraphile(pool, 'public', options)`, its own http handler on a bare node:http server, as
// its docs mount it), in its own process, on the same database and pool size as the others.
//
// It serves the equivalent query (POSTGRAPHILE_QUERY in bench/queue.ts): the tenant's incidents
// (a `condition` on tenant_id: PostGraphile has no token-to-tenant rule of its own here, so it
// checks no token at all), newest update first, 50, each with its first three alerts and its
// devices. The devices come through evidence by a computed column, `incidents_devices(incidents)`
// (bench/queue.ts creates it), the PostGraphile way to add a relation that is not a foreign key;
// it reads exactly what devicesByIncident reads (distinct devices, by name).
//
// Production settings: no GraphiQL, no query log, no watch mode, no stack traces; simple
// collections so that `devicesList` is a plain list like ours.
import { createServer } from 'node:http';
import Module, { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { announce, exitWithParent } from './shared';

// PostGraphile v4 needs graphql 15; the service uses 16. npm nests graphql@15 under postgraphile,
// but hoists two of its packages (graphile-build-pg, graphql-parse-resolve-info) next to graphql@16,
// where they would mix the two. In this process (PostGraphile only) every `graphql` is the 15.
const require = createRequire(import.meta.url);
const graphql15 = path.dirname(require.resolve('graphql/package.json', { paths: [path.dirname(require.resolve('postgraphile/package.json'))] }));
type Resolve = (request: string, ...rest: unknown[]) => string;
const modules = Module as unknown as { _resolveFilename: Resolve };
const resolve = modules._resolveFilename;
modules._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  if (request === 'graphql' || request.startsWith('graphql/')) request = graphql15 + request.slice('graphql'.length);
  return resolve.call(this, request, ...rest);
};
const { postgraphile } = (await import('postgraphile')) as typeof import('postgraphile');
if (require('graphql/package.json').version.split('.')[0] !== '15') throw new Error('PostGraphile v4 needs graphql 15');

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });

const handler = postgraphile(pool, 'public', {
  graphqlRoute: '/graphql',
  graphiql: false,
  disableQueryLog: true,
  watchPg: false,
  retryOnInitFail: false,
  ignoreRBAC: false,
  setofFunctionsContainNulls: false,
  simpleCollections: 'both',
  legacyRelations: 'omit',
  disableDefaultMutations: true,
  showErrorStack: false,
  extendedErrors: [],
  enableQueryBatching: false,
});
// build the schema before announcing (introspection, plugins), so no measured request pays it
await handler.getGraphQLSchema();

const http = createServer(handler);
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  announce((http.address() as AddressInfo).port, { postgraphile: true });
});
exitWithParent(async () => {
  http.closeAllConnections();
  http.close();
  await handler.release?.();
  await pool.end();
});
