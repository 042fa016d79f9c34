// `npm run db:migrate`: apply pending migrations to DATABASE_URL (or the embedded DATA_DIR) and exit.
// The service also migrates on start; this is for deploy pipelines and CI, which want the schema
// in place (and a migration failure reported) before any instance starts.
import { ConfigError, loadConfig } from '../config';
import { openDatabase, type Database } from './client';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`db:migrate: configuration error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.dataDir}`;
  let database: Database | undefined;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
    await database.migrate();
    const [row] = await database.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
    process.stdout.write(`db:migrate: ${where} is up to date (${row.n} migrations applied)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`db:migrate: failed on ${where}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await database?.close().catch(() => {});
  }
}

main().then((code) => process.exit(code));
