// Once per test run, before any file. (1) When the suite runs on embedded PGlite, the migrated
// empty database every file starts from (test/helpers/snapshot.ts), unless one for these
// migrations is there already. (2) Bundle the two entry points (src/main.ts, src/cli.ts) with
// esbuild into dist/node/*.mjs, node_modules left external. Tests that need the service or the CLI
// as a real child process start these bundles (test/helpers/service.ts): the same source that
// `npm start` and `npm run mdr` run through tsx, at about half the start-up CPU, which matters
// when a file starts a dozen processes. The bundles sit two folders below the root, like
// src/*/*.ts, so their `import.meta.url`-relative paths (drizzle/, dist/dashboard/) still resolve.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/db/client';
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
  const result = await build({
    entryPoints: [path.join(root, 'src/main.ts'), path.join(root, 'src/cli.ts')],
    outdir: path.join(root, 'dist/node'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
  // each file whole or not at all: another run of the suite may be starting these bundles
  fs.mkdirSync(path.join(root, 'dist/node'), { recursive: true });
  for (const out of result.outputFiles) {
    const partial = `${out.path}.${process.pid}`;
    fs.writeFileSync(partial, out.contents);
    fs.renameSync(partial, out.path);
  }
}
