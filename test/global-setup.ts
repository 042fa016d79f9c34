// Once per test run, before any file. (1) When the suite runs on embedded PGlite, the migrated
// empty database every file starts from (test/helpers/snapshot.ts), unless one for these
// migrations is there already. (2) The service's bundles, dist/node/main.mjs (what `npm start`
// runs) and cli.mjs (scripts/build-server.ts): tests that need the service or the CLI as a real
// child process start these (test/helpers/service.ts), at about half the start-up CPU of tsx,
// which matters when a file starts a dozen processes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/db/client';
import { buildServerBundles } from '../scripts/build-server';
import { snapshotFile } from './helpers/snapshot';

const root = fileURLToPath(new URL('..', import.meta.url));

export default async function setup(): Promise<void> {
  // the same rule as test/helpers/app.ts `backend` (not imported: it pulls in the whole server)
  const pglite = process.env.TEST_DB === 'pglite' || !process.env.DATABASE_URL;
  await Promise.all([pglite ? makeSnapshot() : null, bundle()]);
}

async function makeSnapshot(): Promise<void> {
  const file = snapshotFile();
  if (fs.existsSync(file)) return;
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    await database.migrate();
    const dump = await (database.db as unknown as { $client: PGlite }).$client.dumpDataDir('none');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file); // whole or not at all
  } finally {
    await database.close();
  }
}

async function bundle(): Promise<void> {
  await buildServerBundles();
}
