// Once per test run, before any file. (1) When the suite runs on embedded PGlite, the migrated
// empty database every file starts from (src/db/snapshot.ts), unless one for these
// migrations is there already; on PostgreSQL, the migrated template database every file copies
// (test/setup-database.ts), dropped when the run ends. (2) The service's bundles, dist/node/main.mjs (what `npm start`
// runs) and cli.mjs (scripts/build-server.ts): tests that need the service or the CLI as a real
// child process start these (test/helpers/service.ts), at about half the start-up CPU of tsx,
// which matters when a file starts a dozen processes.
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client';
import { buildServerBundles } from '../scripts/build-server';
import { makeSnapshot } from '../src/db/snapshot';

declare module 'vitest' {
  export interface ProvidedContext {
    /** On PostgreSQL: the migrated template database each test file copies (test/setup-database.ts). */
    pgTemplate: string | null;
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  // the same rule as test/helpers/app.ts `backend` (not imported: it pulls in the whole server)
  const pglite = process.env.TEST_DB === 'pglite' || !process.env.DATABASE_URL;
  const [template] = await Promise.all([pglite ? null : makeTemplate(), pglite ? makeSnapshot() : null, bundle()]);
  provide('pgTemplate', template?.name ?? null);
  return async () => {
    await template?.drop();
  };
}

/**
 * PostgreSQL: one migrated database per run, the template every test file copies into a database
 * of its own (test/setup-database.ts). Files run side by side; on one shared database their
 * executors, deliverers and event listeners would take each other's work.
 */
async function makeTemplate(): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `mdr_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 }); // the migration lock holds one
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  return {
    name,
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

async function bundle(): Promise<void> {
  await buildServerBundles();
}
