// The migrated empty embedded database every PGlite test file starts from: test/global-setup.ts
// creates it once (PGlite.create + migrations, then dumpDataDir) and writes it to
// dist/test/pglite-<hash of the migrations>.tar; startApp loads it (openDatabase `snapshot`),
// several times faster than creating and migrating a database per file. A change to drizzle/
// makes a new file, so a snapshot never lags the migrations.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const migrations = path.join(root, 'drizzle');

export function snapshotFile(): string {
  const hash = createHash('sha256');
  const files = fs.readdirSync(migrations, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql') || f.endsWith('.json')).sort();
  for (const f of files) hash.update(f).update(fs.readFileSync(path.join(migrations, f)));
  return path.join(root, 'dist/test', `pglite-${hash.digest('hex').slice(0, 16)}.tar`);
}

/** The snapshot as openDatabase takes it; undefined when global setup did not make one. */
export function loadSnapshot(): Blob | undefined {
  const file = snapshotFile();
  return fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : undefined;
}
