// A new embedded DATA_DIR starts from the migrated snapshot (src/db/snapshot.ts) instead of
// PGlite's initdb and the migrations: the database it opens is whole and migrated, an existing one
// is opened as it is (the snapshot is not even read), and a load that a crash cut short is redone
// on the next start instead of leaving a broken database behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client';
import { loadSnapshot, makeSnapshot, pgliteVersion, snapshotFile } from '../src/db/snapshot';
import { createTenant } from '../src/domain/admin';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-snapshot-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  await makeSnapshot(); // made by global setup on PGlite already; on PostgreSQL, here
}, 120_000);

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const tables = async (db: Awaited<ReturnType<typeof openDatabase>>) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`))[0].n;

describe('a new embedded DATA_DIR from the migrated snapshot', () => {
  it('is named after the migrations, and opens migrated: migrate() has nothing left to do', async () => {
    expect(path.basename(snapshotFile())).toMatch(/^base-[0-9a-f]{16}\.tar$/);
    // a new PGlite makes a new file (its data directory format may differ)
    expect(pgliteVersion()).toMatch(/^\d+\.\d+\.\d+/);
    const dir = tempDir();
    let reads = 0;
    const db = await openDatabase({ dataDir: dir, snapshot: () => (reads++, loadSnapshot()) });
    try {
      expect(reads).toBe(1);
      expect(await tables(db)).toBeGreaterThan(20); // the schema is there before migrate()
      const applied = (await db.query<{ n: number }>(`select count(*)::int as n from drizzle.__drizzle_migrations`))[0].n;
      await db.migrate();
      expect((await db.query<{ n: number }>(`select count(*)::int as n from drizzle.__drizzle_migrations`))[0].n).toBe(applied);
      await createTenant(db.db, { slug: 'snap', name: 'Snapshot Ltd' });
    } finally {
      await db.close();
    }
    expect(fs.existsSync(path.join(dir, 'pgdata', 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'pgdata.loading'))).toBe(false);

    // a restart opens what is there: the snapshot is not read, and the data written above stays
    const again = await openDatabase({ dataDir: dir, snapshot: () => (reads++, loadSnapshot()) });
    try {
      expect(reads).toBe(1);
      expect(await again.query(`select name from tenants where slug = 'snap'`)).toEqual([{ name: 'Snapshot Ltd' }]);
    } finally {
      await again.close();
    }
  });

  it('redoes a load that a crash cut short', async () => {
    const dir = tempDir();
    // what a process killed while loading leaves: part of a data directory, and the marker
    fs.mkdirSync(path.join(dir, 'pgdata', 'base'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(dir, 'pgdata', 'base', 'half-written'), 'x');
    fs.writeFileSync(path.join(dir, 'pgdata.loading'), '');
    const db = await openDatabase({ dataDir: dir, snapshot: loadSnapshot });
    try {
      await db.migrate();
      expect(await tables(db)).toBeGreaterThan(20);
      await createTenant(db.db, { slug: 'after-crash', name: 'After Crash' });
    } finally {
      await db.close();
    }
    expect(fs.existsSync(path.join(dir, 'pgdata', 'base', 'half-written'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'pgdata.loading'))).toBe(false);
  });
});
