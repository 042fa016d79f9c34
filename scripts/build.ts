// What `npm start` and `npm test` build first (prestart, pretest): the dashboard's browser bundle
// (scripts/build-dashboard.ts) and the service's own (scripts/build-server.ts: dist/node/main.mjs,
// which `npm start` runs, and dist/node/cli.mjs), side by side.
import path from 'node:path';
import { buildDashboardAndCheck } from './build-dashboard';
import { buildServerBundles } from './build-server';

const [, files] = await Promise.all([buildDashboardAndCheck(), buildServerBundles()]);
console.log(`server: wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
