// The migrated empty embedded database, as a PGlite data directory dump (a tar file): what a new
// DATA_DIR and every PGlite test file start from instead of PGlite's initdb and the migrations,
// which take several times as long as loading it (bench/README.md, "Embedded cold start").
//
// It is made once per set of migrations by `npm start`'s prestart and `npm test`'s global setup
// (scripts/build.ts, test/global-setup.ts) and kept at dist/pglite/base-<hash>.tar, the hash
// covering drizzle/ and the PGlite version: a change to either names a new file, so a snapshot never
// lags what `migrate()` would build. Without the file (a service started without the build),
// opening a new DATA_DIR falls back to initdb + migrations, as before.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { migrationsFolder, openDatabase } from './client';

const root = path.resolve(migrationsFolder, '..');

/** PGlite's version, from its package.json (not among the package's exports: found from its entry). */
export function pgliteVersion(): string {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
      }
      const up = path.dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'unknown';
  }
}

/** What the dump holds beyond the migrations; part of the name, so a change here makes a new file. */
const SNAPSHOT_FORMAT = 'v2: the postgres database alone (template0 and template1 dropped)';

/** Where the snapshot for the current migrations and PGlite version is (or would be). */
export function snapshotFile(): string {
  const hash = createHash('sha256').update(pgliteVersion()).update(SNAPSHOT_FORMAT);
  const files = fs
    .readdirSync(migrationsFolder, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sql') || f.endsWith('.json'))
    .sort();
  for (const f of files) hash.update(f).update(fs.readFileSync(path.join(migrationsFolder, f)));
  return path.join(root, 'dist/pglite', `base-${hash.digest('hex').slice(0, 16)}.tar`);
}

/** The snapshot as openDatabase takes it; undefined when none was made for these migrations. */
export function loadSnapshot(): Blob | undefined {
  const file = snapshotFile();
  try {
    return new Blob([fs.readFileSync(file)]);
  } catch {
    return undefined;
  }
}

/** Makes the snapshot unless it is there already; returns its path and whether it was made now. */
export async function makeSnapshot(): Promise<{ file: string; made: boolean }> {
  const file = snapshotFile();
  if (fs.existsSync(file)) return { file, made: false };
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    await database.migrate();
    // PGlite serves only the `postgres` database and never creates one, so the two template
    // databases initdb made are dead weight: ~600 of the dump's ~1,150 files. Every file a new
    // DATA_DIR loads is a file created on disk, the largest cost of loading it (about 1 ms each
    // on this machine's disk: bench/README.md, "Embedded cold start").
    await database.query('alter database template1 is_template false');
    await database.query('drop database template1');
    await database.query('alter database template0 is_template false');
    await database.query('drop database template0');
    await database.query('checkpoint');
    const dump = await (database.db as unknown as { $client: PGlite }).$client.dumpDataDir('none');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file); // whole or not at all: several builds may run at once
  } finally {
    await database.close();
  }
  // snapshots of earlier migrations (or another PGlite) are no use any more: ~27 MB each
  for (const old of fs.readdirSync(path.dirname(file))) {
    if (/^base-[0-9a-f]{16}\.tar$/.test(old) && old !== path.basename(file)) fs.rmSync(path.join(path.dirname(file), old), { force: true });
  }
  return { file, made: true };
}
