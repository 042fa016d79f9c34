// What `npm start` and `npm test` build first (prestart, pretest): the dashboard's browser bundle
// (scripts/build-dashboard.ts), the service's own (scripts/build-server.ts: dist/node/main.mjs,
// which `npm start` runs, and dist/node/cli.mjs) and, once per set of migrations, the migrated
// empty embedded database a new DATA_DIR starts from (src/db/snapshot.ts), side by side.
import path from 'node:path';
import { buildDashboardAndCheck } from './build-dashboard';
import { buildServerBundles } from './build-server';
import { makeSnapshot } from '../src/db/snapshot';

const started = performance.now();
const [, files, snapshot] = await Promise.all([buildDashboardAndCheck(), buildServerBundles(), makeSnapshot()]);
console.log(`server: wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
if (snapshot.made) {
  console.log(`embedded database snapshot: wrote ${path.relative(process.cwd(), snapshot.file)} (${Math.round(performance.now() - started)} ms, once per set of migrations)`);
}
